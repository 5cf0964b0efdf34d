namespace Samsa.Coordination.Embedded;

/// <summary>One committed change of the tree: its zxid, its time (Unix ms) and its primitive ops, applied in order.</summary>
internal sealed record Transaction(long Zxid, long Time, IReadOnlyList<TreeOp> Ops);
