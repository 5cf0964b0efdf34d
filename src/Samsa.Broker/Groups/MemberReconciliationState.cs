namespace Samsa.Broker.Groups;

/// <summary>
/// Where a consumer-protocol member is in converging on its target assignment. The values are
/// Kafka's (stored in ConsumerGroupCurrentMemberAssignmentValue.State).
/// </summary>
internal enum MemberReconciliationState : sbyte
{
    /// <summary>The member owns exactly its target assignment at the target epoch.</summary>
    Stable = 0,

    /// <summary>The member must first give up partitions; it stays at its epoch until it reports them gone.</summary>
    UnrevokedPartitions = 1,

    /// <summary>The member is at the target epoch but waits for partitions other members have not released yet.</summary>
    UnreleasedPartitions = 2,
}
