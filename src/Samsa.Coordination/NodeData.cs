namespace Samsa.Coordination;

/// <summary>A node's data and the stat it was read with (the version to pass to a conditional write).</summary>
public sealed record NodeData(ReadOnlyMemory<byte> Data, NodeStat Stat);
