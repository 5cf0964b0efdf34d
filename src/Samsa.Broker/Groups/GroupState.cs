namespace Samsa.Broker.Groups;

/// <summary>
/// The classic group states. The member names are Kafka's state names exactly: DescribeGroups and
/// ListGroups send them as they are, and tools match on them.
/// </summary>
internal enum GroupState
{
    /// <summary>No members; may still hold committed offsets.</summary>
    Empty,

    /// <summary>Collecting JoinGroups for the next generation.</summary>
    PreparingRebalance,

    /// <summary>Generation chosen; waiting for the leader's assignment in SyncGroup.</summary>
    CompletingRebalance,

    /// <summary>Assignment delivered; members heartbeat.</summary>
    Stable,

    /// <summary>Removed (deleted, expired, or its partition moved away).</summary>
    Dead,
}
