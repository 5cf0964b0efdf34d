namespace Samsa.Broker.Groups;

/// <summary>
/// An __consumer_offsets partition this broker leads: the leader epoch it was elected at and
/// whether its groups have been read back from the log yet (until then, their requests get
/// COORDINATOR_LOAD_IN_PROGRESS).
/// </summary>
internal sealed class OffsetsPartitionOwnership(int partition, int leaderEpoch)
{
    public int Partition { get; } = partition;

    public int LeaderEpoch { get; set; } = leaderEpoch;

    public bool IsLoaded { get; set; }
}
