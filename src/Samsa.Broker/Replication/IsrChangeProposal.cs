using Samsa.Broker.Partitions;

namespace Samsa.Broker.Replication;

/// <summary>
/// An ISR change a partition leader proposed and has not heard back about (Kafka's pending ISR
/// state): the ISR it asks for, stamped with the leader epoch and partition epoch it was based on,
/// so the controller can refuse a proposal made from a stale view. One per partition at a time.
/// </summary>
internal sealed class IsrChangeProposal(Partition partition, int leaderEpoch, int partitionEpoch, int[] newIsr, bool isExpansion)
{
    public Partition Partition { get; } = partition;

    public int LeaderEpoch { get; } = leaderEpoch;

    public int PartitionEpoch { get; } = partitionEpoch;

    public int[] NewIsr { get; } = newIsr;

    /// <summary>True when the proposal adds a follower (the HW then counts it already), false when it removes some.</summary>
    public bool IsExpansion { get; } = isExpansion;
}
