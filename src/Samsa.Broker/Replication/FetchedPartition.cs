using Samsa.Broker.Partitions;

namespace Samsa.Broker.Replication;

/// <summary>
/// A partition a <see cref="ReplicaFetcher"/> replicates, for one leader epoch: first truncating
/// (finding the divergence point with OffsetForLeaderEpoch), then fetching. Replaced, never
/// reused, when the leader or epoch changes; mutated only under the fetcher's lock.
/// </summary>
internal sealed class FetchedPartition(Partition partition, int leaderEpoch)
{
    public Partition Partition { get; } = partition;

    public int LeaderEpoch { get; } = leaderEpoch;

    /// <summary>True until the log's tail has been checked against the leader's (KIP-101/279).</summary>
    public bool Truncating { get; set; } = true;

    /// <summary>Not tried again before this timestamp (<see cref="TimeProvider.GetTimestamp"/>) after an error.</summary>
    public long DelayedUntil { get; set; }
}
