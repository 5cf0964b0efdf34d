using System.Buffers.Binary;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;
using Samsa.Storage.Tests.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Producers;

public sealed class PartitionLogProducerStateTests
{
    private const long PidA = 7;
    private const long PidB = 8;
    private static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 600, IndexIntervalBytes = 150, FileDeleteDelayMs = 0 };
    private readonly ManualClock _clock = new();

    private static LogAppendInfo Append(PartitionLog log, long pid, short epoch, int sequence, int count) =>
        log.AppendAsLeader(ProducerTestKit.Batch(pid, epoch, sequence, count), 0);

    private static List<long> Snapshots(TempDirectory dir)
    {
        var offsets = new List<long>();
        foreach (string path in Directory.GetFiles(LogTestKit.PartitionDir(dir), "*.snapshot"))
        {
            offsets.Add(long.Parse(Path.GetFileNameWithoutExtension(path), System.Globalization.CultureInfo.InvariantCulture));
        }

        offsets.Sort();
        return offsets;
    }

    /// <summary>Appends <paramref name="batches"/> batches of 3 records for PidA from sequence 0; returns each batch's (first offset, first sequence).</summary>
    private static List<(long Offset, int Sequence)> Fill(PartitionLog log, int batches, int startSequence = 0)
    {
        var appended = new List<(long, int)>();
        for (int i = 0; i < batches; i++)
        {
            int sequence = startSequence + (i * 3);
            LogAppendInfo info = Append(log, PidA, 0, sequence, 3);
            Assert.Equal(LogAppendStatus.Success, info.Status);
            appended.Add((info.FirstOffset, sequence));
        }

        return appended;
    }

    [Fact]
    public void A_retried_batch_is_answered_with_its_original_offsets_and_not_appended_again()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        log.AppendAsLeader(LogTestKit.Batch(2, 1000), 0);
        LogAppendInfo first = Append(log, PidA, 0, 0, 3);
        Assert.Equal((LogAppendStatus.Success, 2L, 4L), (first.Status, first.FirstOffset, first.LastOffset));

        LogAppendInfo retry = Append(log, PidA, 0, 0, 3);
        Assert.Equal((LogAppendStatus.DuplicateSequence, 2L, 4L), (retry.Status, retry.FirstOffset, retry.LastOffset));
        Assert.Equal(5, log.LogEndOffset);

        Assert.Equal(LogAppendStatus.OutOfOrderSequence, Append(log, PidA, 0, 4, 1).Status);
        Assert.Equal(LogAppendStatus.Success, Append(log, PidA, 1, 0, 1).Status);
        Assert.Equal(LogAppendStatus.InvalidProducerEpoch, Append(log, PidA, 0, 3, 1).Status);
        Assert.Equal(6, log.LogEndOffset);
        Assert.Equal(6, LogTestKit.ReadAll(log).Count);
        log.Close();
    }

    [Fact]
    public void Batches_of_one_producer_in_one_append_are_checked_against_each_other()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] inOrder = [.. ProducerTestKit.Batch(PidA, 0, 0, 2), .. ProducerTestKit.Batch(PidA, 0, 2, 2)];
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(inOrder, 0).Status);
        byte[] gap = [.. ProducerTestKit.Batch(PidA, 0, 4, 2), .. ProducerTestKit.Batch(PidA, 0, 7, 2)];
        Assert.Equal(LogAppendStatus.OutOfOrderSequence, log.AppendAsLeader(gap, 0).Status);
        Assert.Equal(4, log.LogEndOffset);
        log.Close();
    }

    [Fact]
    public void Clean_close_writes_a_kafka_format_snapshot_that_restores_the_last_five_batches()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        List<(long Offset, int Sequence)> batches = Fill(log, 7);
        Append(log, PidB, 3, 100, 2);
        long end = log.LogEndOffset;
        log.Close();

        Assert.Equal([end], Snapshots(dir));
        byte[] file = File.ReadAllBytes(Path.Combine(LogTestKit.PartitionDir(dir), $"{end:D20}.snapshot"));
        Assert.Equal(1, BinaryPrimitives.ReadInt16BigEndian(file));
        Assert.Equal(Crc32C.Compute(file.AsSpan(6)), BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(2)));
        Assert.Equal(6, BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(6)));
        Assert.Equal(10 + (6 * 46), file.Length);

        // The last entry of PidA is its newest batch (what Kafka itself would have written).
        ReadOnlySpan<byte> newestA = file.AsSpan(10 + (4 * 46), 46);
        Assert.Equal(PidA, BinaryPrimitives.ReadInt64BigEndian(newestA));
        Assert.Equal(20, BinaryPrimitives.ReadInt32BigEndian(newestA[10..]));
        Assert.Equal(batches[^1].Offset + 2, BinaryPrimitives.ReadInt64BigEndian(newestA[14..]));
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(newestA[22..]));

        log = LogTestKit.Open(dir, LogConfig.Default, _clock, recoveryPoint: end, clean: true);
        for (int i = 2; i < 7; i++)
        {
            LogAppendInfo retry = Append(log, PidA, 0, batches[i].Sequence, 3);
            Assert.Equal(LogAppendStatus.DuplicateSequence, retry.Status);
            Assert.Equal(batches[i].Offset, retry.FirstOffset);
        }

        Assert.Equal(LogAppendStatus.OutOfOrderSequence, Append(log, PidA, 0, batches[1].Sequence, 3).Status);
        Assert.Equal(LogAppendStatus.DuplicateSequence, Append(log, PidB, 3, 100, 2).Status);
        Assert.Equal(LogAppendStatus.Success, Append(log, PidA, 0, 21, 1).Status);
        Assert.Equal(LogAppendStatus.InvalidProducerEpoch, Append(log, PidB, 2, 0, 1).Status);
        log.Close();
    }

    [Fact]
    public void Reopening_keeps_segment_snapshots_and_the_newest_one_only()
    {
        // Batch timestamps are far behind the manual clock; segment.ms must not roll here.
        LogConfig noTimeRoll = LogConfig.Default with { SegmentMs = long.MaxValue };
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, noTimeRoll, _clock);
        Fill(log, 2);
        long first = log.LogEndOffset;
        log.Close();
        log = LogTestKit.Open(dir, noTimeRoll, _clock, recoveryPoint: first, clean: true);
        Fill(log, 2, startSequence: 6);
        long second = log.LogEndOffset;
        log.Close();
        log = LogTestKit.Open(dir, noTimeRoll, _clock, recoveryPoint: second, clean: true);
        Assert.Equal([second], Snapshots(dir));
        Assert.Equal(LogAppendStatus.DuplicateSequence, Append(log, PidA, 0, 9, 3).Status);
        log.Close();
    }

    [Fact]
    public void A_corrupt_snapshot_is_deleted_and_the_state_rebuilt_from_the_log()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        List<(long Offset, int Sequence)> batches = Fill(log, 4);
        long end = log.LogEndOffset;
        log.Close();

        string snapshot = Path.Combine(LogTestKit.PartitionDir(dir), $"{end:D20}.snapshot");
        byte[] bytes = File.ReadAllBytes(snapshot);
        bytes[^3] ^= 0x40;
        File.WriteAllBytes(snapshot, bytes);

        log = LogTestKit.Open(dir, LogConfig.Default, _clock, recoveryPoint: end, clean: true);
        Assert.Empty(Snapshots(dir));
        LogAppendInfo retry = Append(log, PidA, 0, batches[3].Sequence, 3);
        Assert.Equal((LogAppendStatus.DuplicateSequence, batches[3].Offset), (retry.Status, retry.FirstOffset));
        Assert.Equal(LogAppendStatus.OutOfOrderSequence, Append(log, PidA, 0, 100, 1).Status);
        log.Close();
        Assert.Equal([end], Snapshots(dir));
    }

    [Fact]
    public void A_truncated_or_garbage_snapshot_file_is_rejected()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        Fill(log, 2);
        long end = log.LogEndOffset;
        log.Close();
        string snapshot = Path.Combine(LogTestKit.PartitionDir(dir), $"{end:D20}.snapshot");
        File.WriteAllBytes(snapshot, File.ReadAllBytes(snapshot)[..30]);
        File.WriteAllBytes(Path.Combine(LogTestKit.PartitionDir(dir), $"{1:D20}.snapshot"), [0, 1, 2]);

        log = LogTestKit.Open(dir, LogConfig.Default, _clock, recoveryPoint: end, clean: true);
        Assert.Empty(Snapshots(dir));
        Assert.Equal(LogAppendStatus.DuplicateSequence, Append(log, PidA, 0, 3, 3).Status);
        log.Close();
    }

    [Fact]
    public void After_an_unclean_shutdown_state_comes_from_the_roll_snapshot_plus_the_recovered_batches()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        List<(long Offset, int Sequence)> batches = Fill(log, 12);
        Assert.True(log.Segments.Count > 2);
        long lastBase = log.Segments[^1].BaseOffset;
        int lastSize = log.Segments[^1].SizeInBytes;
        log.Close();

        // A crash: no close-time snapshot, and the newest batch torn in half.
        long end = batches[^1].Offset + 3;
        File.Delete(Path.Combine(LogTestKit.PartitionDir(dir), $"{end:D20}.snapshot"));
        Assert.Contains(lastBase, Snapshots(dir));
        using (FileStream stream = File.Open(Path.Combine(LogTestKit.PartitionDir(dir), $"{lastBase:D20}.log"), FileMode.Open))
        {
            stream.SetLength(lastSize - 10);
        }

        log = LogTestKit.Open(dir, SmallSegments, _clock, recoveryPoint: lastBase, clean: false);
        Assert.Equal(batches[^1].Offset, log.LogEndOffset);

        // The torn batch is gone, so its retry is appended; the one before it is a duplicate.
        LogAppendInfo previous = Append(log, PidA, 0, batches[^2].Sequence, 3);
        Assert.Equal((LogAppendStatus.DuplicateSequence, batches[^2].Offset), (previous.Status, previous.FirstOffset));
        LogAppendInfo lost = Append(log, PidA, 0, batches[^1].Sequence, 3);
        Assert.Equal((LogAppendStatus.Success, batches[^1].Offset), (lost.Status, lost.FirstOffset));
        log.Close();
    }

    [Fact]
    public void A_snapshot_above_the_recovered_log_end_is_discarded()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        List<(long Offset, int Sequence)> batches = Fill(log, 3);
        long end = log.LogEndOffset;
        log.Close();
        using (FileStream stream = File.Open(Path.Combine(LogTestKit.PartitionDir(dir), $"{0:D20}.log"), FileMode.Open))
        {
            stream.SetLength(stream.Length - 5);
        }

        log = LogTestKit.Open(dir, LogConfig.Default, _clock, recoveryPoint: 0, clean: false);
        Assert.Equal(batches[2].Offset, log.LogEndOffset);
        Assert.DoesNotContain(end, Snapshots(dir));
        Assert.Equal(LogAppendStatus.Success, Append(log, PidA, 0, batches[2].Sequence, 3).Status);
        log.Close();
    }

    [Fact]
    public void Truncation_forgets_the_batches_above_the_truncation_point()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        List<(long Offset, int Sequence)> batches = Fill(log, 12);
        (long cutOffset, int cutSequence) = batches[4];
        Assert.True(log.TruncateTo(cutOffset));
        Assert.Equal(cutOffset, log.LogEndOffset);
        Assert.All(Snapshots(dir), s => Assert.True(s <= cutOffset));

        Assert.Equal(LogAppendStatus.DuplicateSequence, Append(log, PidA, 0, batches[3].Sequence, 3).Status);
        LogAppendInfo again = Append(log, PidA, 0, cutSequence, 3);
        Assert.Equal((LogAppendStatus.Success, cutOffset), (again.Status, again.FirstOffset));
        Assert.Equal(LogAppendStatus.OutOfOrderSequence, Append(log, PidA, 0, batches[8].Sequence, 3).Status);

        log.TruncateFullyAndStartAt(100);
        Assert.Empty(Snapshots(dir));
        Assert.Equal(LogAppendStatus.Success, Append(log, PidA, 0, 500, 1).Status);
        log.Close();
    }

    [Fact]
    public void Snapshots_of_deleted_segments_are_deleted_with_them()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 12);
        Assert.True(Snapshots(dir).Count >= 2);
        long newStart = log.Segments[^2].BaseOffset;
        Assert.True(log.DeleteRecordsBefore(newStart));
        Assert.All(Snapshots(dir), s => Assert.True(s >= newStart));

        // Producers outlive their segments, as in Kafka.
        Assert.Equal(LogAppendStatus.OutOfOrderSequence, Append(log, PidA, 0, 1000, 1).Status);
        log.Close();
    }

    [Fact]
    public void Follower_appends_feed_the_producer_state()
    {
        using var leaderDir = new TempDirectory();
        using var followerDir = new TempDirectory();
        PartitionLog leader = LogTestKit.Open(leaderDir, LogConfig.Default, _clock);
        PartitionLog follower = LogTestKit.Open(followerDir, LogConfig.Default, _clock);
        Fill(leader, 3);
        LogReadInfo read = leader.Read(0, 1 << 20, leader.LogEndOffset, minOneBatch: true);
        byte[] bytes = new byte[read.Length];
        read.CopyTo(bytes);
        Assert.Equal(LogAppendStatus.Success, follower.AppendAsFollower(bytes).Status);

        Assert.Equal(LogAppendStatus.DuplicateSequence, Append(follower, PidA, 0, 6, 3).Status);
        Assert.Equal(LogAppendStatus.Success, Append(follower, PidA, 0, 9, 3).Status);
        leader.Close();
        follower.Close();
    }
}
