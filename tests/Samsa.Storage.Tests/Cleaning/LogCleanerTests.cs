using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.Cleaning;
using Samsa.Storage.Log;
using Samsa.Testing;
using static Samsa.Storage.Tests.Cleaning.CleaningTestKit;

namespace Samsa.Storage.Tests.Cleaning;

public sealed class LogCleanerTests
{
    [Fact]
    public void Keeps_only_the_latest_value_per_key_across_segments_at_their_offsets()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock));
        Append(log.Log, clock, Batch(1, ("a", 1), ("b", 1), ("c", 1)));
        Append(log.Log, clock, Batch(2, ("a", 2), ("b", 2)));
        Append(log.Log, clock, Batch(3, ("a", 3), ("d", 3)));
        Append(log.Log, clock, Batch(4, ("e", 4))); // active segment: never cleaned
        List<StoredRecord> before = ReadAll(log.Log);
        Assert.Equal([0L, 3, 5, 7], log.Log.Segments.Select(s => s.BaseOffset).ToArray());

        LogCleaner cleaner = Cleaner(dir);
        CleanResult result = Clean(cleaner, log.Log, clock);

        Assert.Equal(CleanStatus.Cleaned, result.Status);
        List<StoredRecord> after = ReadAll(log.Log);
        Assert.Equal(
            [(2L, "c", 1), (4L, "b", 2), (5L, "a", 3), (6L, "d", 3), (7L, "e", 4)],
            after.Select(r => (r.Offset, r.Key, r.Value ?? -1)).ToArray());

        // Every surviving record is the same record (offset, key, value, timestamp) as before.
        Assert.All(after, r => Assert.Contains(r, before));
        Assert.Equal(Latest(before), Latest(after));
        Assert.Equal(8, log.Log.LogEndOffset);
        Assert.Equal(0, log.Log.LogStartOffset);
        Assert.Equal(result.FirstDirtyOffset, cleaner.FirstDirtyOffset(log.Log.TopicPartition));
        Assert.Equal(7, result.FirstDirtyOffset);
        Assert.Equal(3, result.RecordsRemoved);
    }

    [Fact]
    public void Reads_after_reopen_and_a_second_pass_give_the_same_latest_values()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        PartitionLog log = Open(dir, clock);
        for (int round = 0; round < 5; round++)
        {
            Append(log, clock, Batch(round, ("k1", round), ("k2", round * 10), ($"once{round}", round)));
        }

        Append(log, clock, Batch(9, ("tail", 9)));
        Dictionary<string, StoredRecord> expected = Latest(ReadAll(log));
        LogCleaner cleaner = Cleaner(dir);
        Assert.Equal(CleanStatus.Cleaned, Clean(cleaner, log, clock).Status);
        Assert.Equal(expected, Latest(ReadAll(log)));

        // More data, a second pass (clean + dirty sections), a restart, a third pass.
        Append(log, clock, Batch(10, ("k1", 100), ("tail", 10)));
        Append(log, clock, Batch(11, ("z", 1)));
        expected = Latest(ReadAll(log));
        Assert.Equal(CleanStatus.Cleaned, Clean(cleaner, log, clock).Status);
        Assert.Equal(expected, Latest(ReadAll(log)));
        log.Close();

        log = Open(dir, clock);
        try
        {
            Assert.Equal(expected, Latest(ReadAll(log)));
            LogCleaner reopened = Cleaner(dir);
            Assert.Equal(cleaner.FirstDirtyOffset(log.TopicPartition), reopened.FirstDirtyOffset(log.TopicPartition));
            Clean(reopened, log, clock);
            Assert.Equal(expected, Latest(ReadAll(log)));
        }
        finally
        {
            log.Close();
        }
    }

    [Fact]
    public void Small_cleaned_segments_are_grouped_into_one()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock));
        for (int i = 0; i < 10; i++)
        {
            Append(log.Log, clock, Batch(i, ("same", i)));
        }

        Append(log.Log, clock, Batch(99, ("tail", 0)));
        Assert.Equal(11, log.Log.Segments.Count);

        Assert.Equal(CleanStatus.Cleaned, Clean(Cleaner(dir), log.Log, clock).Status);

        Assert.Equal(2, log.Log.Segments.Count);
        Assert.Equal(0, log.Log.Segments[0].BaseOffset);
        Assert.Equal([(9L, "same", 9), (10L, "tail", 0)], ReadAll(log.Log).Select(r => (r.Offset, r.Key, r.Value ?? -1)).ToArray());
        string[] leftovers = Directory.GetFiles(log.Log.Directory).Where(f => f.EndsWith(".cleaned", StringComparison.Ordinal) || f.EndsWith(".swap", StringComparison.Ordinal) || f.EndsWith(".deleted", StringComparison.Ordinal)).ToArray();
        Assert.Empty(leftovers);
    }

    [Fact]
    public void Tombstones_stay_for_delete_retention_ms_after_their_first_compaction_then_go()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock));
        Append(log.Log, clock, Batch(1, ("a", 1), ("b", 1)));
        Append(log.Log, clock, Batch(2, ("a", null)));
        Append(log.Log, clock, Batch(3, ("c", 3)));
        LogCleaner cleaner = Cleaner(dir);

        Assert.Equal(CleanStatus.Cleaned, Clean(cleaner, log.Log, clock).Status);
        Assert.Equal([(1L, "b", 1), (2L, "a", -1), (3L, "c", 3)], ReadAll(log.Log).Select(r => (r.Offset, r.Key, r.Value ?? -1)).ToArray());
        Assert.Null(ReadAll(log.Log).Single(r => r.Key == "a").Value);

        // Just before the horizon: still there, and not due by itself.
        clock.Advance(TimeSpan.FromMilliseconds(DeleteRetentionMs - 1));
        Assert.Equal(CleanStatus.NothingToClean, Clean(cleaner, log.Log, clock, force: false).Status);
        Clean(cleaner, log.Log, clock);
        Assert.Contains(ReadAll(log.Log), r => r.Key == "a");

        // At the horizon the log becomes due without new data, and the tombstone goes.
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(CleanStatus.Cleaned, Clean(cleaner, log.Log, clock, force: false).Status);
        Assert.Equal([(1L, "b", 1), (3L, "c", 3)], ReadAll(log.Log).Select(r => (r.Offset, r.Key, r.Value ?? -1)).ToArray());

        // Nothing is waiting any more: the log is not due again.
        clock.Advance(TimeSpan.FromMilliseconds(DeleteRetentionMs * 2));
        Assert.Equal(CleanStatus.NothingToClean, Clean(cleaner, log.Log, clock, force: false).Status);
    }

    [Fact]
    public void A_tombstone_in_a_merged_group_keeps_its_own_clock()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock));
        LogCleaner cleaner = Cleaner(dir);
        Append(log.Log, clock, Batch(1, ("a", null)));
        Append(log.Log, clock, Batch(2, ("x", 1)));
        Clean(cleaner, log.Log, clock); // "a" tombstone clocked at t0

        clock.Advance(TimeSpan.FromMilliseconds(DeleteRetentionMs / 2));
        Append(log.Log, clock, Batch(3, ("b", null)));
        Append(log.Log, clock, Batch(4, ("y", 1)));
        Clean(cleaner, log.Log, clock); // "b" tombstone clocked at t0 + R/2

        // At t0 + R: "a" is due, "b" is not; a merge must not have postponed "a" nor hurried "b".
        clock.Advance(TimeSpan.FromMilliseconds((DeleteRetentionMs / 2) - 2002));
        Assert.Equal(CleanStatus.Cleaned, Clean(cleaner, log.Log, clock, force: false).Status);
        List<StoredRecord> records = ReadAll(log.Log);
        Assert.DoesNotContain(records, r => r.Key == "a");
        Assert.Contains(records, r => r.Key == "b" && r.Value is null);

        clock.Advance(TimeSpan.FromMilliseconds((DeleteRetentionMs / 2) + 2002));
        Assert.Equal(CleanStatus.Cleaned, Clean(cleaner, log.Log, clock, force: false).Status);
        Assert.DoesNotContain(ReadAll(log.Log), r => r.Key == "b");
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Compressed_batches_are_rebuilt_with_their_codec_and_a_valid_crc(CompressionType compression)
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock));
        Append(log.Log, clock, Batch(compression, 1, ("a", 1), ("b", 1), ("c", 1), ("d", 1)));
        Append(log.Log, clock, Batch(compression, 2, ("a", 2), ("c", 2)));
        Append(log.Log, clock, Batch(compression, 3, ("tail", 3)));
        Dictionary<string, StoredRecord> expected = Latest(ReadAll(log.Log));

        Assert.Equal(CleanStatus.Cleaned, Clean(Cleaner(dir), log.Log, clock).Status);

        LogReadInfo read = log.Log.Read(0, 1 << 20, long.MaxValue, minOneBatch: true);
        byte[] bytes = new byte[read.Length];
        read.CopyTo(bytes);
        RecordBatchEnumerator batches = RecordBatch.Enumerate(bytes);
        Assert.True(batches.MoveNext());
        var header = new RecordBatchHeader(batches.Current.Span);
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batches.Current.Span));
        Assert.Equal(compression, header.CompressionType);
        Assert.Equal(0, header.BaseOffset); // the original base offset, with a gap before the first record
        Assert.Equal(2, header.RecordCount);
        Assert.Equal(expected, Latest(ReadAll(log.Log)));
        Assert.Equal([(1L, "b"), (3L, "d"), (4L, "a"), (5L, "c"), (6L, "tail")], ReadAll(log.Log).Select(r => (r.Offset, r.Key)).ToArray());
    }

    [Fact]
    public void The_last_batch_of_each_producer_and_transactional_batches_are_kept_whole()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock));
        Append(log.Log, clock, Batch(CompressionType.None, 1, producerId: 7, ("a", 1), ("b", 1)));
        Append(log.Log, clock, Batch(CompressionType.None, 2, producerId: 8, ("b", 2)));
        Append(log.Log, clock, Batch(CompressionType.None, 3, producerId: 8, baseSequence: 1, ("b", 3)));
        Append(log.Log, clock, Batch(4, ("tail", 4)));

        Clean(Cleaner(dir), log.Log, clock);

        // Producer 7's only batch stays whole although its "b" is superseded;
        // producer 8's first batch (not its last) loses its superseded record and goes.
        Assert.Equal(
            [(0L, "a", 1), (1L, "b", 1), (3L, "b", 3), (4L, "tail", 4)],
            ReadAll(log.Log).Select(r => (r.Offset, r.Key, r.Value ?? -1)).ToArray());
    }

    [Fact]
    public void A_small_map_cleans_as_far_as_it_fits_and_the_rest_next_time()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock));
        int keysPerBatch = 15_000; // the smallest map (1 MiB) holds about 39,000 keys: two batches, not three
        for (int round = 0; round < 3; round++)
        {
            var records = new (string, int?)[keysPerBatch];
            for (int i = 0; i < keysPerBatch; i++)
            {
                records[i] = ($"key{(round * keysPerBatch) + i}", round);
            }

            Append(log.Log, clock, Batch(round, records));
        }

        Append(log.Log, clock, Batch(9, ("key0", 9)));
        Append(log.Log, clock, Batch(10, ("tail", 0)));
        LogCleaner cleaner = Cleaner(dir);

        CleanResult first = Clean(cleaner, log.Log, clock);
        Assert.Equal(CleanStatus.Cleaned, first.Status);
        Assert.Equal(2L * keysPerBatch, first.FirstDirtyOffset);
        Assert.Contains(ReadAll(log.Log), r => r.Key == "key0" && r.Value == 0); // its successor was not mapped yet

        CleanResult second = Clean(cleaner, log.Log, clock);
        Assert.Equal(CleanStatus.Cleaned, second.Status);
        Assert.Equal((3L * keysPerBatch) + 1, second.FirstDirtyOffset);
        Assert.Equal(9, ReadAll(log.Log).Single(r => r.Key == "key0").Value);
        Assert.Equal((3 * keysPerBatch) + 1, ReadAll(log.Log).Count);
    }

    [Fact]
    public void Dirty_ratio_and_compaction_lag_hold_cleaning_back()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        LogConfig config = Config with { MinCleanableDirtyRatio = 0.9, MinCompactionLagMs = 10_000 };
        using var log = new LogCloser(Open(dir, clock, config));
        long t = clock.UnixTimeMilliseconds;
        Append(log.Log, clock, Batch(t, ("a", 1)));
        Append(log.Log, clock, Batch(t, ("a", 2)));
        Append(log.Log, clock, Batch(t, ("tail", 2)));
        LogCleaner cleaner = Cleaner(dir);

        // Too young for min.compaction.lag.ms even when forced.
        Assert.Equal(CleanStatus.NothingToClean, cleaner.Clean(log.Log, clock.UnixTimeMilliseconds, long.MaxValue, force: true).Status);

        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(CleanStatus.Cleaned, cleaner.Clean(log.Log, clock.UnixTimeMilliseconds, long.MaxValue).Status);

        // One new dirty segment beside a clean one: below 0.9 dirty, not due.
        Append(log.Log, clock, Batch(clock.UnixTimeMilliseconds - 20_000, ("b", 1)));
        Assert.Equal(CleanStatus.NothingToClean, cleaner.Clean(log.Log, clock.UnixTimeMilliseconds, long.MaxValue).Status);
    }

    [Fact]
    public void Nothing_at_or_above_the_high_watermark_is_cleaned()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock));
        Append(log.Log, clock, Batch(1, ("a", 1)));
        Append(log.Log, clock, Batch(2, ("a", 2)));
        Append(log.Log, clock, Batch(3, ("tail", 2)));

        CleanResult result = Cleaner(dir).Clean(log.Log, clock.UnixTimeMilliseconds, highWatermark: 1, force: true);

        Assert.Equal(CleanStatus.Cleaned, result.Status);
        Assert.Equal(3, ReadAll(log.Log).Count);
        Assert.Equal(1, result.FirstDirtyOffset);
    }

    [Fact]
    public void Policy_delete_logs_are_not_compacted()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock, Config with { CleanupPolicy = CleanupPolicy.Delete }));
        Append(log.Log, clock, Batch(1, ("a", 1)));
        Append(log.Log, clock, Batch(2, ("a", 2)));

        Assert.Equal(CleanStatus.NotCompacted, Clean(Cleaner(dir), log.Log, clock).Status);
        Assert.Equal(2, ReadAll(log.Log).Count);
    }

    [Fact]
    public void A_read_found_before_a_swap_still_returns_its_bytes_after()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        using var log = new LogCloser(Open(dir, clock, Config with { FileDeleteDelayMs = 60_000 }));
        Append(log.Log, clock, Batch(1, ("a", 1), ("b", 1)));
        Append(log.Log, clock, Batch(2, ("a", 2)));
        Append(log.Log, clock, Batch(3, ("tail", 3)));
        LogReadInfo before = log.Log.Read(0, 1 << 20, long.MaxValue, minOneBatch: true);
        log.Log.ReleaseIdleResources(); // the read must reopen the renamed file, not the new one

        Assert.Equal(CleanStatus.Cleaned, Clean(Cleaner(dir), log.Log, clock).Status);

        byte[] bytes = new byte[before.Length];
        Assert.Equal(before.Length, before.CopyTo(bytes));
        using var scratch = new PooledBufferWriter();
        Assert.Equal([(0L, "a", 1), (1L, "b", 1)], Records(bytes, scratch).Select(r => (r.Offset, r.Key, r.Value ?? -1)).ToArray());
        Assert.Equal([(1L, "b", 1), (2L, "a", 2), (3L, "tail", 3)], ReadAll(log.Log).Select(r => (r.Offset, r.Key, r.Value ?? -1)).ToArray());
    }

    [Fact]
    public void Retention_after_compaction_reads_the_rebuilt_segments_max_timestamp()
    {
        using var dir = new TempDirectory("clean");
        var clock = new ManualClock();
        LogConfig config = Config with { CleanupPolicy = CleanupPolicy.Compact | CleanupPolicy.Delete, RetentionMs = 1_000_000 };
        PartitionLog log = Open(dir, clock, config);
        long now = clock.UnixTimeMilliseconds;
        Append(log, clock, Batch(now - 10, ("a", 1)));
        Append(log, clock, Batch(now, ("a", 2), ("b", 2)));
        Append(log, clock, Batch(now, ("tail", 3)));
        Clean(Cleaner(dir), log, clock);
        log.Close();

        // After a restart the segment's max timestamp comes from its time index: it must be the newest record's.
        log = Open(dir, clock, config);
        try
        {
            clock.Advance(TimeSpan.FromMilliseconds(1_000_000 - 5000));
            Assert.Equal(0, log.DeleteOldSegments(log.LogEndOffset));
            Assert.Equal(3, ReadAll(log).Count);
        }
        finally
        {
            log.Close();
        }
    }
}
