namespace Samsa.Broker.Groups;

/// <summary>One committed offset as stored in __consumer_offsets (OffsetCommitValue).</summary>
/// <param name="ExpireTimestamp">-1 unless the commit asked for its own retention (OffsetCommit v2-4).</param>
internal sealed record CommittedOffset(long Offset, int LeaderEpoch, string Metadata, long CommitTimestamp, long ExpireTimestamp);
