namespace Samsa.Coordination;

/// <summary>Creates a node; see <see cref="ICoordinationStore.CreateAsync"/>.</summary>
public sealed record CreateOp(string Path, ReadOnlyMemory<byte> Data, CreateMode Mode) : CoordinationOp(Path);
