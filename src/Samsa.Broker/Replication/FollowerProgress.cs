namespace Samsa.Broker.Replication;

/// <summary>
/// What a partition leader knows about one follower replica, from that follower's fetches (Kafka's
/// remote Replica state). Mutated only under the partition's lock.
/// </summary>
internal sealed class FollowerProgress(int brokerId)
{
    /// <summary>Kafka's UnifiedLog.UnknownOffset: the follower has not fetched since this broker became leader.</summary>
    public const long UnknownOffset = -1;

    public int BrokerId { get; } = brokerId;

    /// <summary>The offset of the follower's latest fetch: it holds everything below it.</summary>
    public long LogEndOffset { get; set; } = UnknownOffset;

    public long LogStartOffset { get; set; } = UnknownOffset;

    /// <summary>The last time the follower was known to have everything the leader had.</summary>
    public long LastCaughtUpTimeMs { get; set; }

    /// <summary>The leader's log end when the follower last fetched, and when that was.</summary>
    public long LastFetchLeaderLogEndOffset { get; set; } = UnknownOffset;

    public long LastFetchTimeMs { get; set; }

    /// <summary>
    /// Kafka's Replica.updateFetchState: a fetch at or past the leader's end means caught up now; a
    /// fetch at or past the leader's end at the previous fetch means caught up as of that fetch.
    /// </summary>
    public void RecordFetch(long fetchOffset, long followerLogStartOffset, long leaderEndOffset, long nowMs)
    {
        if (fetchOffset >= leaderEndOffset)
        {
            LastCaughtUpTimeMs = Math.Max(LastCaughtUpTimeMs, nowMs);
        }
        else if (fetchOffset >= LastFetchLeaderLogEndOffset)
        {
            LastCaughtUpTimeMs = Math.Max(LastCaughtUpTimeMs, LastFetchTimeMs);
        }

        LogEndOffset = fetchOffset;
        LogStartOffset = followerLogStartOffset;
        LastFetchLeaderLogEndOffset = leaderEndOffset;
        LastFetchTimeMs = nowMs;
    }

    /// <summary>
    /// A new leader starts every follower at an unknown position; ISR members count as caught up
    /// now so they get a full replica.lag.time.max.ms to show up before the ISR check drops them.
    /// </summary>
    public void Reset(bool inIsr, long nowMs)
    {
        LogEndOffset = UnknownOffset;
        LogStartOffset = UnknownOffset;
        LastFetchLeaderLogEndOffset = UnknownOffset;
        LastFetchTimeMs = 0;
        LastCaughtUpTimeMs = inIsr ? nowMs : 0;
    }
}
