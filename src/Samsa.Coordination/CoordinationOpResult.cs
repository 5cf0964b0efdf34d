namespace Samsa.Coordination;

/// <summary>
/// The outcome of one operation of a successful multi: <see cref="CreatedPath"/> for a create (the
/// actual name, with the sequence suffix), <see cref="Stat"/> for a create or a set-data (the node's
/// stat right after that operation), neither for a check or a delete.
/// </summary>
public sealed record CoordinationOpResult(CoordinationOp Operation, string? CreatedPath, NodeStat? Stat);
