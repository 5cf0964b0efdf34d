namespace Samsa.Fuzzer;

/// <summary>Bytes ready for the socket (size prefix included) and how they were made.</summary>
public readonly record struct MutatedFrame(byte[] Wire, MutationKind Kind);
