namespace Samsa.Protocol.Primitives;

/// <summary>
/// A tagged field this build does not know: kept as raw bytes so that a decoded message
/// re-encodes to the same bytes (KIP-482 says unknown tags are skipped, never rejected).
/// </summary>
public readonly record struct RawTaggedField(uint Tag, ReadOnlyMemory<byte> Value);
