using System.Buffers.Binary;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// A sealed segment's time index ends with the segment's newest timestamp: retention and
/// max-timestamp lookups read it from there once the index is reloaded. That must hold for an
/// index rebuilt after it was lost, or retention deletes the segment early.
/// </summary>
public sealed class SealedSegmentTimeIndexTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_rebuilt_index_of_a_sealed_segment_keeps_its_newest_timestamp_for_retention(bool damaged)
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
        long now = clock.UnixTimeMilliseconds;

        // Large index interval: the segment gets no regular time index entry, only the final one.
        var config = LogConfig.Default with { SegmentBytes = 800, RetentionMs = (long)Retention.TotalMilliseconds };
        PartitionLog log = LogTestKit.Open(dir, config, clock);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(5, now - (long)TimeSpan.FromHours(2).TotalMilliseconds, valueSize: 50), 0).Status);
        LogAppendInfo newest = log.AppendAsLeader(LogTestKit.Batch(5, now - (long)TimeSpan.FromMinutes(10).TotalMilliseconds, valueSize: 50), 0);
        log.AppendAsLeader(LogTestKit.Batch(5, now, valueSize: 50), 0);
        Assert.Equal(2, log.Segments.Count);
        log.Close();

        string timeIndex = LogFileNames.TimeIndexPath(LogTestKit.PartitionDir(dir), 0);
        foreach (string index in new[] { LogFileNames.IndexPath(LogTestKit.PartitionDir(dir), 0), timeIndex })
        {
            if (damaged)
            {
                File.WriteAllBytes(index, new byte[36]);
            }
            else
            {
                File.Delete(index);
            }
        }

        log = LogTestKit.Open(dir, config, clock);
        Assert.Equal(5, log.FindOffsetByTimestamp(newest.MaxTimestamp - 4));

        // The rebuilt file ends with (newest timestamp, its offset), as Seal wrote it.
        byte[] entries = File.ReadAllBytes(timeIndex);
        Assert.Equal(newest.MaxTimestamp, BinaryPrimitives.ReadInt64BigEndian(entries.AsSpan(entries.Length - 12)));
        Assert.Equal(newest.LastOffset, BinaryPrimitives.ReadInt32BigEndian(entries.AsSpan(entries.Length - 4)));

        // Reloaded from that file, the segment is 10 minutes old: kept until retention passes.
        log.ReleaseIdleResources();
        Assert.Equal(0, log.DeleteOldSegments(log.LogEndOffset));
        Assert.Equal(0, log.LogStartOffset);
        clock.Advance(Retention);
        Assert.Equal(1, log.DeleteOldSegments(log.LogEndOffset));
        Assert.Equal(10, log.LogStartOffset);
        log.Close();
    }

    [Fact]
    public void An_empty_time_index_of_a_sealed_segment_is_rebuilt_not_trusted()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
        long now = clock.UnixTimeMilliseconds;
        var config = LogConfig.Default with { SegmentBytes = 800, RetentionMs = (long)Retention.TotalMilliseconds };
        PartitionLog log = LogTestKit.Open(dir, config, clock);
        log.AppendAsLeader(LogTestKit.Batch(5, now - (long)TimeSpan.FromHours(2).TotalMilliseconds, valueSize: 50), 0);
        LogAppendInfo newest = log.AppendAsLeader(LogTestKit.Batch(5, now - (long)TimeSpan.FromMinutes(10).TotalMilliseconds, valueSize: 50), 0);
        log.AppendAsLeader(LogTestKit.Batch(5, now, valueSize: 50), 0);
        log.Close();

        // Sized but never written (a kill between the two), or its data lost before the fsync:
        // a valid-looking empty file beside an intact offset index.
        string timeIndex = LogFileNames.TimeIndexPath(LogTestKit.PartitionDir(dir), 0);
        File.WriteAllBytes(timeIndex, []);

        log = LogTestKit.Open(dir, config, clock);
        Assert.Equal(0, log.DeleteOldSegments(log.LogEndOffset));
        Assert.Equal(0, log.LogStartOffset);
        byte[] entries = File.ReadAllBytes(timeIndex);
        Assert.Equal(newest.MaxTimestamp, BinaryPrimitives.ReadInt64BigEndian(entries.AsSpan(entries.Length - 12)));
        Assert.Equal(newest.LastOffset, BinaryPrimitives.ReadInt32BigEndian(entries.AsSpan(entries.Length - 4)));
        clock.Advance(Retention);
        Assert.Equal(1, log.DeleteOldSegments(log.LogEndOffset));
        log.Close();
    }
}
