using Samsa.Protocol.Records;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

public sealed class PartitionLogAppendReadTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void Append_assigns_offsets_and_stamps_them_in_the_stored_bytes()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] two = [.. LogTestKit.Batch(3, 1000, tag: 0), .. LogTestKit.Batch(2, 1010, tag: 3)];

        LogAppendInfo first = log.AppendAsLeader(two, leaderEpoch: 7);
        LogAppendInfo second = log.AppendAsLeader(LogTestKit.Batch(1, 1020, tag: 5), leaderEpoch: 7);

        Assert.Equal(LogAppendStatus.Success, first.Status);
        Assert.Equal((0L, 4L, 5), (first.FirstOffset, first.LastOffset, first.RecordCount));
        Assert.Equal(1011, first.MaxTimestamp);
        Assert.Equal((5L, 5L), (second.FirstOffset, second.LastOffset));
        Assert.Equal(6, log.LogEndOffset);

        LogReadInfo read = log.Read(0, 1 << 20, long.MaxValue, minOneBatch: true);
        byte[] bytes = new byte[read.Length];
        read.CopyTo(bytes);
        Assert.Equal([(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5)], LogTestKit.Records(bytes));
        var header = new RecordBatchHeader(bytes.AsSpan(two.Length));
        Assert.Equal(5, header.BaseOffset);
        Assert.Equal(7, header.PartitionLeaderEpoch);
        Assert.Equal(7, log.LeaderEpochCache.LatestEpoch);
        log.Close();
    }

    [Fact]
    public void Bad_input_is_an_error_value_and_changes_nothing()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { MaxMessageBytes = 200 }, _clock);
        byte[] corrupt = LogTestKit.Batch(2, 1000);
        corrupt[^1] ^= 0xFF;
        byte[] cut = LogTestKit.Batch(2, 1000)[..^3];

        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(corrupt, 0).Status);
        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(cut, 0).Status);
        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(new byte[10], 0).Status);
        Assert.Equal(LogAppendStatus.MessageTooLarge, log.AppendAsLeader(LogTestKit.Batch(1, 1000, valueSize: 300), 0).Status);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Equal(0, log.SizeInBytes);
        log.Close();
    }

    [Fact]
    public void Tiny_segments_roll_by_size_and_reads_cover_every_segment()
    {
        using var dir = new TempDirectory();
        var config = LogConfig.Default with { SegmentBytes = 300, IndexIntervalBytes = 100 };
        PartitionLog log = LogTestKit.Open(dir, config, _clock);
        for (int i = 0; i < 40; i++)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(2, 1000 + i, tag: 2 * i), 0).Status);
        }

        Assert.True(log.Segments.Count > 5);
        Assert.All(log.Segments, s => Assert.True(s.SizeInBytes <= 300));
        List<(long Offset, int Tag)> all = LogTestKit.ReadAll(log);
        Assert.Equal(80, all.Count);
        for (int i = 0; i < 80; i++)
        {
            Assert.Equal((i, i), all[i]);
        }

        // Reopen (clean) and read again: indexes come from the files.
        log.Close();
        log = LogTestKit.Open(dir, config, _clock, recoveryPoint: 80);
        Assert.Equal(80, log.LogEndOffset);
        Assert.Equal(all, LogTestKit.ReadAll(log));
        for (int offset = 0; offset < 80; offset += 7)
        {
            LogReadInfo one = log.Read(offset, 1, long.MaxValue, minOneBatch: true);
            byte[] bytes = new byte[one.Length];
            one.CopyTo(bytes);
            List<(long Offset, int Tag)> records = LogTestKit.Records(bytes);
            Assert.Contains((offset, offset), records);
            Assert.Equal(2, records.Count);
        }

        log.Close();
    }

    [Fact]
    public void Segment_rolls_when_segment_ms_passed_since_its_first_append()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { SegmentMs = 1000 }, _clock);
        log.AppendAsLeader(LogTestKit.Batch(1, 1), 0);
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        log.AppendAsLeader(LogTestKit.Batch(1, 1), 0);
        Assert.Single(log.Segments);
        _clock.Advance(TimeSpan.FromMilliseconds(2));
        log.AppendAsLeader(LogTestKit.Batch(1, 1), 0);
        Assert.Equal([0L, 2L], [.. log.Segments.Select(s => s.BaseOffset)]);
        log.Close();
    }

    [Fact]
    public void Segment_jitter_rolls_each_segment_a_random_amount_before_segment_ms()
    {
        // segment.ms 10 s, segment.jitter.ms 10 s: each segment rolls once 10 s minus its own random
        // amount below 10 s has passed. At 9 s a segment stays only if its amount is under 1 s (one
        // in ten), so of 20 logs about 18 roll; without jitter none would (previous test).
        using var dir = new TempDirectory();
        LogConfig config = LogConfig.Default with { SegmentMs = 10_000, SegmentJitterMs = 10_000 };
        var logs = new List<PartitionLog>();
        for (int i = 0; i < 20; i++)
        {
            var partition = new TopicPartition("jitter", i);
            PartitionLog log = PartitionLog.Open(dir.Combine(partition.DirectoryName), partition, config, _clock, 0, true);
            log.AppendAsLeader(LogTestKit.Batch(1, 1), 0);
            log.AppendAsLeader(LogTestKit.Batch(1, 1), 0);
            Assert.Single(log.Segments);
            logs.Add(log);
        }

        _clock.Advance(TimeSpan.FromMilliseconds(9_000));
        int rolled = 0;
        foreach (PartitionLog log in logs)
        {
            log.AppendAsLeader(LogTestKit.Batch(1, 1), 0);
            rolled += log.Segments.Count - 1;
        }

        Assert.InRange(rolled, 10, 20);

        // The amount is below segment.ms: past it, every first segment has rolled.
        _clock.Advance(TimeSpan.FromMilliseconds(1_001));
        foreach (PartitionLog log in logs)
        {
            log.AppendAsLeader(LogTestKit.Batch(1, 1), 0);
            Assert.True(log.Segments.Count >= 2);
            log.Close();
        }
    }

    [Fact]
    public void Segment_rolls_when_its_index_is_full()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { SegmentIndexBytes = 16, IndexIntervalBytes = 0 }, _clock);
        for (int i = 0; i < 10; i++)
        {
            log.AppendAsLeader(LogTestKit.Batch(1, 1000 + i, tag: i), 0);
        }

        Assert.True(log.Segments.Count >= 3);
        Assert.Equal(10, LogTestKit.ReadAll(log).Count);
        log.Close();
    }

    [Fact]
    public void Read_honours_max_offset_max_bytes_and_range()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        int batchSize = LogTestKit.Batch(2, 0).Length;
        for (int i = 0; i < 10; i++)
        {
            log.AppendAsLeader(LogTestKit.Batch(2, 1000, tag: 2 * i), 0);
        }

        // High watermark 6: batches [0,1] [2,3] [4,5] only.
        LogReadInfo upToHw = log.Read(0, 1 << 20, 6, minOneBatch: true);
        Assert.Equal(3 * batchSize, upToHw.Length);

        // A high watermark inside a batch excludes that batch.
        Assert.Equal(2 * batchSize, log.Read(0, 1 << 20, 5, minOneBatch: true).Length);

        // Starting inside a batch returns that whole batch.
        LogReadInfo mid = log.Read(3, 1 << 20, long.MaxValue, true);
        Assert.Equal(2, mid.FirstOffset);
        Assert.Equal(9 * batchSize, mid.Length);

        // Byte limits cut at batch boundaries; below one batch only minOneBatch returns anything.
        Assert.Equal(2 * batchSize, log.Read(0, (2 * batchSize) + 5, long.MaxValue, true).Length);
        Assert.Equal(batchSize, log.Read(0, 3, long.MaxValue, minOneBatch: true).Length);
        Assert.Equal(0, log.Read(0, 3, long.MaxValue, minOneBatch: false).Length);

        Assert.Equal(LogReadStatus.OffsetOutOfRange, log.Read(21, 100, long.MaxValue, true).Status);
        LogReadInfo atEnd = log.Read(20, 100, long.MaxValue, true);
        Assert.Equal((LogReadStatus.Success, 0), (atEnd.Status, atEnd.Length));
        log.Close();
    }

    [Fact]
    public void Follower_append_keeps_offsets_and_epochs_and_rejects_going_back()
    {
        using var leaderDir = new TempDirectory();
        using var followerDir = new TempDirectory();
        PartitionLog leader = LogTestKit.Open(leaderDir, LogConfig.Default, _clock);
        PartitionLog follower = LogTestKit.Open(followerDir, LogConfig.Default, _clock);
        leader.AppendAsLeader(LogTestKit.Batch(3, 1000, tag: 0), 1);
        leader.AppendAsLeader(LogTestKit.Batch(3, 1000, tag: 3), 2);

        LogReadInfo read = leader.Read(0, 1 << 20, long.MaxValue, true);
        byte[] bytes = new byte[read.Length];
        read.CopyTo(bytes);
        LogAppendInfo appended = follower.AppendAsFollower(bytes);

        Assert.Equal((LogAppendStatus.Success, 0L, 5L), (appended.Status, appended.FirstOffset, appended.LastOffset));
        Assert.Equal(6, follower.LogEndOffset);
        Assert.Equal(LogTestKit.ReadAll(leader), LogTestKit.ReadAll(follower));
        Assert.Equal([new(1, 0), new(2, 3)], follower.LeaderEpochCache.Entries);
        Assert.Equal(LogAppendStatus.OffsetOutOfOrder, follower.AppendAsFollower(bytes).Status);
        leader.Close();
        follower.Close();
    }

    [Fact]
    public void Log_append_time_topics_stamp_the_broker_time()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { MessageTimestampType = TimestampType.LogAppendTime }, _clock);
        LogAppendInfo info = log.AppendAsLeader(LogTestKit.Batch(2, 5), 0);
        Assert.Equal(_clock.UnixTimeMilliseconds, info.LogAppendTime);
        LogReadInfo read = log.Read(0, 1000, long.MaxValue, true);
        byte[] bytes = new byte[read.Length];
        read.CopyTo(bytes);
        var header = new RecordBatchHeader(bytes);
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(_clock.UnixTimeMilliseconds, header.MaxTimestamp);
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(bytes));
        log.Close();
    }

    [Fact]
    public async Task Concurrent_readers_only_ever_see_whole_valid_batches()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { SegmentBytes = 4000, IndexIntervalBytes = 200 }, TimeProvider.System);
        using var done = new CancellationTokenSource();
        int reads = 0;
        Task reader = Task.Run(() =>
        {
            var random = new Random(1);
            byte[] buffer = new byte[64 * 1024];
            while (!done.IsCancellationRequested)
            {
                long end = log.LogEndOffset;
                long start = end == 0 ? 0 : random.NextInt64(end);
                LogReadInfo read = log.Read(start, random.Next(1, 8000), long.MaxValue, minOneBatch: true);
                Assert.Equal(LogReadStatus.Success, read.Status);
                int n = read.CopyTo(buffer);
                Assert.Equal(read.Length, n);
                List<(long Offset, int Tag)> records = LogTestKit.Records(buffer[..n]);
                foreach ((long offset, int tag) in records)
                {
                    Assert.Equal(offset, tag);
                }

                Interlocked.Increment(ref reads);
            }
        });

        // Keep appending until the reader has raced a good number of appends (bounded).
        for (int i = 0; i < 2000 || (Volatile.Read(ref reads) < 500 && i < 200_000 && !reader.IsCompleted); i++)
        {
            int count = 1 + (i % 5);
            long next = log.LogEndOffset;
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(count, i, tag: (int)next, valueSize: 20 + (i % 50)), 0).Status);
        }

        await done.CancelAsync();
        await reader;
        Assert.True(reads >= 500 || log.LogEndOffset > 100_000);
        Assert.Equal((int)log.LogEndOffset, LogTestKit.ReadAll(log).Count);
        log.Close();
    }
}
