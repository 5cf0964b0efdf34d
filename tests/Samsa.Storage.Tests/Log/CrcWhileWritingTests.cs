using Samsa.Storage.Log;
using Samsa.Storage.Tests.Producers;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// Appends of <see cref="PartitionLog.CrcWhileWritingMinBytes"/> or more check their CRCs as they
/// write: a bad one must leave the log, its files and the producer state exactly as before.
/// </summary>
public sealed class CrcWhileWritingTests
{
    private readonly ManualClock _clock = new();

    /// <summary>Three batches of 40 records × 3,000 bytes: about 360 KiB, a write of three pieces.</summary>
    private static byte[] LargeRequest(int tag) =>
        [.. LogTestKit.Batch(40, 2000, tag, valueSize: 3000), .. LogTestKit.Batch(40, 2040, tag + 40, valueSize: 3000), .. LogTestKit.Batch(40, 2080, tag + 80, valueSize: 3000)];

    [Theory]
    [InlineData(0.2)] // in the first batch: caught before anything is written
    [InlineData(0.99)] // in the last batch: caught after two pieces were written
    public void A_bad_crc_leaves_nothing_behind_and_the_next_append_takes_its_place(double at)
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(2, 1000, tag: 0), 0).Status);
        long sizeBefore = log.SizeInBytes;
        string segmentFile = LogFileNames.LogPath(LogTestKit.PartitionDir(dir), 0);

        byte[] corrupt = LargeRequest(tag: 2);
        Assert.True(corrupt.Length >= PartitionLog.CrcWhileWritingMinBytes && corrupt.Length > 2 * LogSegment.CheckedWriteBytes);
        corrupt[(int)(corrupt.Length * at)] ^= 0x01;

        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(corrupt, 0).Status);
        Assert.Equal(2, log.LogEndOffset);
        Assert.Equal(sizeBefore, log.SizeInBytes);
        Assert.Equal(sizeBefore, new FileInfo(segmentFile).Length);
        Assert.Equal([(0, 0), (1, 1)], LogTestKit.ReadAll(log));

        LogAppendInfo good = log.AppendAsLeader(LargeRequest(tag: 2), 0);
        Assert.Equal((LogAppendStatus.Success, 2L, 121L), (good.Status, good.FirstOffset, good.LastOffset));
        List<(long Offset, int Tag)> all = LogTestKit.ReadAll(log);
        Assert.Equal(122, all.Count);
        Assert.All(all, record => Assert.Equal(record.Offset, record.Tag));

        // Recovered from the files (no clean shutdown), the log holds the same.
        log.Close();
        log = LogTestKit.Open(dir, LogConfig.Default, _clock, clean: false);
        Assert.Equal(all, LogTestKit.ReadAll(log));
        log.Close();
    }

    [Fact]
    public void A_follower_append_with_a_bad_crc_changes_nothing()
    {
        using var leaderDir = new TempDirectory();
        PartitionLog leader = LogTestKit.Open(leaderDir, LogConfig.Default, _clock);
        byte[] request = LargeRequest(tag: 0);
        Assert.Equal(LogAppendStatus.Success, leader.AppendAsLeader(request, 3).Status);
        leader.Close();

        // The leader stamped offsets and its epoch into the request's bytes: they are what a fetch returns.
        using var dir = new TempDirectory();
        PartitionLog follower = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] corrupt = [.. request];
        corrupt[corrupt.Length - 10] ^= 0x01;
        Assert.Equal(LogAppendStatus.CorruptMessage, follower.AppendAsFollower(corrupt).Status);
        Assert.Equal((0L, 0L), (follower.LogEndOffset, follower.SizeInBytes));

        Assert.Equal(LogAppendStatus.Success, follower.AppendAsFollower(request).Status);
        Assert.Equal(120, follower.LogEndOffset);
        Assert.Equal(120, LogTestKit.ReadAll(follower).Count);
        follower.Close();
    }

    [Fact]
    public void A_retried_idempotent_batch_with_a_bad_crc_is_corrupt_not_a_duplicate()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] batch = ProducerTestKit.Batch(producerId: 7, epoch: 0, baseSequence: 0, count: 20_000);
        Assert.True(batch.Length >= PartitionLog.CrcWhileWritingMinBytes);
        byte[] retry = [.. batch];
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(batch, 0).Status);
        Assert.Equal(LogAppendStatus.DuplicateSequence, log.AppendAsLeader((byte[])retry.Clone(), 0).Status);

        retry[^100] ^= 0x01;
        Assert.Equal(LogAppendStatus.CorruptMessage, log.AppendAsLeader(retry, 0).Status);
        Assert.Equal(20_000, log.LogEndOffset);
        log.Close();
    }
}
