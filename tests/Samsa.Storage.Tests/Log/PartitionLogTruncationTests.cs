using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

public sealed class PartitionLogTruncationTests
{
    private static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 600, IndexIntervalBytes = 100, FileDeleteDelayMs = 1000 };
    private readonly ManualClock _clock = new();

    private static void Fill(PartitionLog log, int batches, long timestamp = 1000, int epoch = 0)
    {
        for (int i = 0; i < batches; i++)
        {
            long next = log.LogEndOffset;
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(2, timestamp, tag: (int)next), epoch).Status);
        }
    }

    [Fact]
    public void TruncateTo_drops_later_segments_cuts_the_file_and_the_epoch_cache()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 10, epoch: 1);
        Fill(log, 10, epoch: 2);
        Assert.True(log.TruncateTo(13));
        Assert.Equal(12, log.LogEndOffset); // 13 is inside batch [12,13]: the whole batch goes
        Assert.Equal(12, LogTestKit.ReadAll(log).Count);
        Assert.Equal(1, log.LeaderEpochCache.LatestEpoch);
        Assert.False(log.TruncateTo(50));

        // Appending continues from there, and a reopen sees the same.
        Fill(log, 1, epoch: 3);
        Assert.Equal(14, log.LogEndOffset);
        log.Close();
        log = LogTestKit.Open(dir, SmallSegments, _clock, recoveryPoint: 0, clean: false);
        List<(long Offset, int Tag)> all = LogTestKit.ReadAll(log);
        Assert.Equal(14, all.Count);
        Assert.All(all, r => Assert.Equal(r.Offset, r.Tag));
        log.Close();
    }

    [Fact]
    public void A_truncation_is_fsynced_before_it_returns_its_segment_then_the_directory()
    {
        using var dir = new TempDirectory();
        string partitionDir = LogTestKit.PartitionDir(dir);
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 20);
        log.Flush(); // the recovery point passes everything: nothing later would check these offsets again
        var fsyncs = new List<string>();
        log.FsyncStarting = fsyncs.Add;

        // Within the active segment: its cut length, then the directory (producer snapshots above
        // the cut are deleted).
        long activeBase = log.Segments[^1].BaseOffset;
        Assert.True(log.TruncateTo(log.LogEndOffset - 2));
        Assert.Equal([LogFileNames.LogPath(partitionDir, activeBase), partitionDir], fsyncs);

        // Back into an earlier segment: the later ones are renamed away (a power loss must not
        // bring them back under their old names).
        fsyncs.Clear();
        long cutBase = log.Segments[1].BaseOffset;
        Assert.True(log.TruncateTo(cutBase + 2));
        Assert.Equal([LogFileNames.LogPath(partitionDir, cutBase), partitionDir], fsyncs);

        // Emptied and restarted: the new segment and the directory.
        fsyncs.Clear();
        log.TruncateFullyAndStartAt(500);
        Assert.Equal([LogFileNames.LogPath(partitionDir, 500), partitionDir], fsyncs);
        log.Close();
    }

    [Fact]
    public void A_failed_fsync_of_a_truncation_takes_the_log_offline()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 20);
        log.Flush(); // the rolls' background flushes are done or find nothing left to do
        log.FsyncStarting = path => throw new IOException("Input/output error");

        StorageException e = Assert.Throws<StorageException>(() => log.TruncateTo(log.Segments[1].BaseOffset + 2));
        Assert.True(e.Message.Contains("after truncation", StringComparison.Ordinal), e.Message);
        Assert.True(log.IsOffline);
        log.Close();
    }

    [Fact]
    public void TruncateFullyAndStartAt_empties_the_log()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 10);
        log.TruncateFullyAndStartAt(500);
        Assert.Equal((500L, 500L), (log.LogStartOffset, log.LogEndOffset));
        Assert.Equal(500, log.AppendAsLeader(LogTestKit.Batch(1, 1), 0).FirstOffset);
        Assert.Single(log.Segments);
        log.Close();
    }

    [Fact]
    public void DeleteRecordsBefore_moves_the_log_start_and_removes_whole_segments()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 20);
        int segmentsBefore = log.Segments.Count;
        Assert.True(log.DeleteRecordsBefore(25));
        Assert.Equal(25, log.LogStartOffset);
        Assert.True(log.Segments.Count < segmentsBefore);
        Assert.True(log.Segments[0].BaseOffset <= 25);
        Assert.Equal(LogReadStatus.OffsetOutOfRange, log.Read(24, 1000, long.MaxValue, true).Status);
        Assert.Equal(15, LogTestKit.ReadAll(log).Count);
        Assert.False(log.DeleteRecordsBefore(41));
        log.Close();
    }

    [Fact]
    public void Retention_by_time_stops_at_the_high_watermark_and_the_active_segment()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments with { RetentionMs = 10_000 }, _clock);
        long old = _clock.UnixTimeMilliseconds;
        Fill(log, 12, timestamp: old);
        Fill(log, 6, timestamp: old + 60_000);
        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(0, log.DeleteOldSegments(highWatermark: 0));
        int deleted = log.DeleteOldSegments(highWatermark: log.LogEndOffset);
        Assert.True(deleted > 0);
        Assert.True(log.LogStartOffset >= 20);
        Assert.Equal(log.Segments[0].BaseOffset, log.LogStartOffset);
        Assert.All(LogTestKit.ReadAll(log), r => Assert.True(r.Offset >= log.LogStartOffset));

        // Removed segments linger as .deleted until file.delete.delay.ms passed.
        string partitionDir = LogTestKit.PartitionDir(dir);
        Assert.NotEmpty(Directory.GetFiles(partitionDir, "*.deleted"));
        _clock.Advance(TimeSpan.FromSeconds(2));
        log.DeleteOldSegments(0);
        Assert.Empty(Directory.GetFiles(partitionDir, "*.deleted"));
        log.Close();
    }

    [Fact]
    public void Retention_by_size_keeps_at_least_retention_bytes()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments with { RetentionBytes = 1500, RetentionMs = -1 }, _clock);
        Fill(log, 40);
        log.DeleteOldSegments(long.MaxValue);
        Assert.True(log.SizeInBytes >= 1500);
        Assert.True(log.SizeInBytes < 1500 + 600);
        log.Close();
    }

    [Fact]
    public void Find_offset_by_timestamp_and_max_timestamp()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        for (int i = 0; i < 30; i++)
        {
            // Two records per batch at 100*i and 100*i + 1.
            log.AppendAsLeader(LogTestKit.Batch(2, 100 * i, tag: 2 * i), 0);
        }

        Assert.Equal(0, log.FindOffsetByTimestamp(-5));
        Assert.Equal(20, log.FindOffsetByTimestamp(1000));
        Assert.Equal(21, log.FindOffsetByTimestamp(1001));
        Assert.Equal(22, log.FindOffsetByTimestamp(1002));
        Assert.Null(log.FindOffsetByTimestamp(2902));
        Assert.Equal((59L, 2901L), log.MaxTimestampOffset());
        log.Close();
    }

    [Fact]
    public void Delete_with_a_reader_holding_a_range_removes_everything_and_the_reader_gets_nothing()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 20);
        LogReadInfo held = log.Read(0, 1000, long.MaxValue, true);
        Assert.True(held.Length > 0);

        log.Delete();

        Assert.False(Directory.Exists(LogTestKit.PartitionDir(dir)));
        Assert.Equal(0, held.CopyTo(new byte[held.Length]));
        Assert.Equal(LogReadStatus.LogClosed, log.Read(0, 1000, long.MaxValue, true).Status);
        Assert.Equal(LogAppendStatus.LogClosed, log.AppendAsLeader(LogTestKit.Batch(1, 1), 0).Status);
    }

    [Fact]
    public void A_range_read_before_retention_is_still_readable_during_the_delete_delay()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 20);
        LogReadInfo held = log.Read(0, 1000, long.MaxValue, true);
        Assert.True(log.DeleteRecordsBefore(30));
        byte[] bytes = new byte[held.Length];
        Assert.Equal(held.Length, held.CopyTo(bytes));
        Assert.Equal(0, LogTestKit.Records(bytes)[0].Offset);
        log.Close();
    }

    [Fact]
    public void Flush_policy_by_messages_advances_the_recovery_point()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { FlushMessages = 4 }, _clock);
        Fill(log, 1);
        Assert.Equal(0, log.RecoveryPoint);
        Fill(log, 1);
        Assert.Equal(4, log.RecoveryPoint);
        log.Flush();
        Fill(log, 1);
        log.Flush();
        Assert.Equal(6, log.RecoveryPoint);
        log.Close();
    }
}
