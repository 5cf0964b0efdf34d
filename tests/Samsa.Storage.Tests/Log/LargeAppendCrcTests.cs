using System.Buffers.Binary;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;
using Samsa.Storage.Tests.Producers;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// Appends of at least <see cref="BackgroundCrcCheck.MinBytes"/> check their CRCs beside the write
/// rather than before it. A corrupt one must still be refused with nothing left behind: no log end,
/// no bytes in the segment file (a clean restart trusts the framing), no epoch, no producer state.
/// </summary>
public sealed class LargeAppendCrcTests
{
    private const int RecordBytes = 1000;
    private readonly ManualClock _clock = new();

    [Fact]
    public void A_large_corrupt_append_is_refused_and_leaves_no_bytes_in_the_segment()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] first = LargeBatch(tag: 0);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(first, 0).Status);
        string segmentFile = Path.Combine(LogTestKit.PartitionDir(dir), LogFileNames.FileName(0, LogFileNames.LogSuffix));
        long sizeAfterFirst = new FileInfo(segmentFile).Length;

        // The flipped byte in the second batch's last record: every byte before it is written.
        byte[] corrupt = [.. LargeBatch(tag: 1000), .. LargeBatch(tag: 2000)];
        corrupt[^1] ^= 0x01;
        AssertCheckedBesideWrite(corrupt);

        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(corrupt, 0).Status);
        Assert.Equal(RecordsPerBatch, log.LogEndOffset);
        Assert.Equal(sizeAfterFirst, new FileInfo(segmentFile).Length);

        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LargeBatch(tag: 3000), 0).Status);
        log.Close();

        PartitionLog reopened = LogTestKit.Open(dir, LogConfig.Default, _clock, recoveryPoint: log.RecoveryPoint, clean: true);
        List<(long Offset, int Tag)> records = LogTestKit.ReadAll(reopened);
        Assert.Equal(2 * RecordsPerBatch, records.Count);
        Assert.Equal((RecordsPerBatch, 3000), records[RecordsPerBatch]);
        reopened.Close();
    }

    [Fact]
    public void Every_answer_to_a_large_corrupt_append_is_corrupt_message_whatever_else_is_wrong()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] producerBatch = ProducerTestKit.Batch(producerId: 7, epoch: 0, baseSequence: 0, count: LargeCount(8));
        AssertCheckedBesideWrite(producerBatch);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(producerBatch.ToArray(), 0).Status);
        Assert.Equal(LogAppendStatus.DuplicateSequence, log.AppendAsLeader(producerBatch.ToArray(), 0).Status);

        // A retry whose bytes were damaged in flight is not a duplicate of the stored batch.
        byte[] damagedRetry = producerBatch.ToArray();
        damagedRetry[^2] ^= 0x10;
        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(damagedRetry, 0).Status);

        // A new leader epoch is not recorded for a batch that is not stored.
        byte[] corrupt = LargeBatch(tag: 0);
        corrupt[RecordBatch.HeaderSize + 100] ^= 0x01;
        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(corrupt, leaderEpoch: 3).Status);
        Assert.Equal(0, log.LeaderEpochCache.LatestEpoch);

        log.Close();
        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(corrupt, 0).Status);
    }

    [Fact]
    public void A_large_corrupt_fetch_is_refused_as_a_follower_without_its_epoch()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] fetched = [.. Stamped(LargeBatch(tag: 0), baseOffset: 0, epoch: 4), .. Stamped(LargeBatch(tag: 1000), baseOffset: RecordsPerBatch, epoch: 5)];
        byte[] corrupt = fetched.ToArray();
        corrupt[RecordBatch.HeaderSize + 7] ^= 0x40;
        AssertCheckedBesideWrite(corrupt);

        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsFollower(corrupt).Status);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Empty(log.LeaderEpochCache.Entries);

        LogAppendInfo stored = log.AppendAsFollower(fetched);
        Assert.Equal(LogAppendStatus.Success, stored.Status);
        Assert.Equal(2 * RecordsPerBatch, log.LogEndOffset);
        Assert.Equal([4, 5], log.LeaderEpochCache.Entries.Select(e => e.Epoch));
        Assert.Equal(2 * RecordsPerBatch, LogTestKit.ReadAll(log).Count);
        log.Close();
    }

    [Fact]
    public void Many_large_appends_on_one_thread_each_get_their_own_answer()
    {
        // One check object per thread is reused, and work items it left queued may run during a
        // later append's check: every answer must still be that append's.
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { SegmentBytes = 8 << 20 }, _clock);
        byte[] valid = LargeBatch(tag: 0);
        byte[] corrupt = LargeBatch(tag: 0);
        corrupt[corrupt.Length / 2] ^= 0x01;
        long expectedEnd = 0;
        for (int i = 0; i < 60; i++)
        {
            bool good = i % 3 != 1;
            LogAppendInfo info = log.AppendAsLeader(good ? valid.ToArray() : corrupt.ToArray(), 0);
            Assert.Equal(good ? LogAppendStatus.Success : LogAppendStatus.CorruptMessage, info.Status);
            expectedEnd += good ? RecordsPerBatch : 0;
            Assert.Equal(expectedEnd, log.LogEndOffset);
        }

        Assert.Equal(expectedEnd, LogTestKit.ReadAll(log).Count);
        log.Close();
    }

    [Fact]
    public void A_large_corrupt_append_that_would_roll_leaves_the_segments_as_they_were()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { SegmentBytes = 512 * 1024 }, _clock);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LargeBatch(tag: 0), 0).Status);
        byte[] corrupt = LargeBatch(tag: 1000);
        corrupt[^1] ^= 0x01;
        AssertCheckedBesideWrite(corrupt);

        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(corrupt, 0).Status);
        Assert.Single(log.Segments);

        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LargeBatch(tag: 1000), 0).Status);
        Assert.Equal(2, log.Segments.Count);
        Assert.Equal(2 * RecordsPerBatch, LogTestKit.ReadAll(log).Count);
        log.Close();
    }

    [Fact]
    public void A_large_append_answers_the_first_fault_in_batch_order_as_a_small_one_does()
    {
        using var dir = new TempDirectory();
        byte[] valid = LargeBatch(tag: 0);
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { MaxMessageBytes = valid.Length + 100 }, _clock);
        byte[] oversized = LogTestKit.Batch(RecordsPerBatch + 20, 1000, valueSize: RecordBytes);
        byte[] corrupt = LargeBatch(tag: 0);
        corrupt[^1] ^= 0x01;

        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(Join(corrupt, oversized), 0).Status);
        Assert.Equal(LogAppendStatus.MessageTooLarge, log.AppendAsLeader(Join(valid, oversized), 0).Status);
        Assert.Equal(LogAppendStatus.MessageTooLarge, log.AppendAsLeader(Join(oversized, corrupt), 0).Status);
        Assert.Equal(0, log.LogEndOffset);
        log.Close();
    }

    [Fact]
    public void A_large_corrupt_idempotent_batch_leaves_no_producer_state()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] batch = ProducerTestKit.Batch(producerId: 9, epoch: 0, baseSequence: 0, count: LargeCount(8));
        byte[] corrupt = batch.ToArray();
        corrupt[^2] ^= 0x10;
        AssertCheckedBesideWrite(corrupt);

        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(corrupt, 0).Status);

        // Sequence 0 again: not a duplicate of the refused batch, and not out of order either.
        LogAppendInfo stored = log.AppendAsLeader(batch, 0);
        Assert.Equal(LogAppendStatus.Success, stored.Status);
        Assert.Equal(0, stored.FirstOffset);
        log.Close();
    }

    [Fact]
    public void The_check_answers_alike_whether_the_appender_or_a_pool_thread_runs_it()
    {
        byte[] valid = [.. LargeBatch(tag: 0), .. LargeBatch(tag: 1)];
        byte[] corrupt = valid.ToArray();
        corrupt[(valid.Length / 2) + 100] ^= 0x01;
        foreach (byte[] records in (byte[][])[valid, corrupt])
        {
            bool expected = ReferenceEquals(records, valid);

            // Completed at once: usually before any pool thread took it, so the appender runs it.
            BackgroundCrcCheck early = BackgroundCrcCheck.Start(records);
            Assert.Equal(expected, early.Complete());
            Assert.Equal(expected, early.Complete());

            // Completed only once a pool thread has run it.
            BackgroundCrcCheck late = BackgroundCrcCheck.Start(records);
            SpinWait.SpinUntil(() => late.IsDone, TimeSpan.FromSeconds(30));
            Assert.True(late.IsDone);
            Assert.Equal(expected, late.Complete());
        }
    }

    private static byte[] Join(byte[] first, byte[] second) => [.. first, .. second];

    private static void AssertCheckedBesideWrite(byte[] records) =>
        Assert.True(BackgroundCrcCheck.Suits(records.Length) || Environment.ProcessorCount == 1, $"{records.Length} bytes are checked before the write");

    private static int RecordsPerBatch => LargeCount(RecordBytes);

    /// <summary>Records of <paramref name="valueBytes"/> each that make a batch just past the threshold.</summary>
    private static int LargeCount(int valueBytes) => (BackgroundCrcCheck.MinBytes / valueBytes) + 10;

    private static byte[] LargeBatch(int tag) => LogTestKit.Batch(RecordsPerBatch, 1000, tag, valueSize: RecordBytes);

    private static byte[] Stamped(byte[] batch, long baseOffset, int epoch)
    {
        BinaryPrimitives.WriteInt64BigEndian(batch, baseOffset);
        RecordBatch.SetPartitionLeaderEpoch(batch, epoch);
        return batch;
    }
}
