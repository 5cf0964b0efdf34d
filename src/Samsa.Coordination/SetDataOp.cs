namespace Samsa.Coordination;

/// <summary>Replaces a node's data if its version is <see cref="Version"/> (-1: any).</summary>
public sealed record SetDataOp(string Path, ReadOnlyMemory<byte> Data, int Version) : CoordinationOp(Path);
