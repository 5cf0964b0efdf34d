namespace Samsa.Coordination;

/// <summary>Deletes a childless node if its version is <see cref="Version"/> (-1: any).</summary>
public sealed record DeleteOp(string Path, int Version) : CoordinationOp(Path);
