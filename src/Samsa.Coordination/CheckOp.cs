namespace Samsa.Coordination;

/// <summary>Asserts that a node exists with the given version (-1: any) without changing it.</summary>
public sealed record CheckOp(string Path, int Version) : CoordinationOp(Path);
