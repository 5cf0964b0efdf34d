using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// Batches that were on disk before the log was opened, and that neither recovery nor an append
/// checked, are checked before a read serves them: a bit flipped in an old, fsynced segment is
/// reported (the log goes offline) instead of being sent to a consumer or a follower.
/// </summary>
public sealed class CorruptReadTests
{
    // Four batches of three 40-byte values per segment.
    private static readonly LogConfig Config = LogConfig.Default with { SegmentBytes = 1000, IndexIntervalBytes = 150 };
    private readonly ManualClock _clock = new();

    [Fact]
    public void A_flipped_byte_in_an_old_segment_is_not_served_after_a_clean_restart()
    {
        using var dir = new TempDirectory();
        (long end, List<long> batchStarts) = WriteAndClose(dir, batches: 20);

        // A bit flips in the value of the first segment's third batch while the broker is down.
        FlipValueByte(dir, batchIndex: 2);
        PartitionLog log = LogTestKit.Open(dir, Config, _clock, recoveryPoint: end, clean: true);

        // What comes before it is served; the read that would serve it is refused.
        LogReadInfo before = log.Read(0, maxBytes: 1, long.MaxValue, minOneBatch: true);
        Assert.Equal(LogReadStatus.Success, before.Status);
        LogReadInfo corrupt = log.Read(batchStarts[2], maxBytes: 1, long.MaxValue, minOneBatch: true);
        Assert.Equal(LogReadStatus.StorageError, corrupt.Status);
        Assert.True(log.IsOffline);
        Assert.Contains("corrupt batch", log.OfflineReason, StringComparison.Ordinal);
        log.Close();
    }

    [Fact]
    public void A_read_that_covers_a_corrupt_batch_is_refused_whole()
    {
        using var dir = new TempDirectory();
        (long end, _) = WriteAndClose(dir, batches: 20);
        FlipValueByte(dir, batchIndex: 3);
        PartitionLog log = LogTestKit.Open(dir, Config, _clock, recoveryPoint: end, clean: true);

        Assert.Equal(LogReadStatus.StorageError, log.Read(0, maxBytes: 1 << 20, long.MaxValue, minOneBatch: true).Status);
        Assert.True(log.IsOffline);
        log.Close();
    }

    [Fact]
    public void A_read_further_on_does_not_count_an_earlier_corrupt_batch_as_checked()
    {
        using var dir = new TempDirectory();
        (long end, List<long> batchStarts) = WriteAndClose(dir, batches: 20);
        FlipValueByte(dir, batchIndex: 1);
        PartitionLog log = LogTestKit.Open(dir, Config, _clock, recoveryPoint: end, clean: true);

        Assert.Equal(LogReadStatus.Success, log.Read(batchStarts[2], maxBytes: 1 << 20, long.MaxValue, minOneBatch: true).Status);
        Assert.Equal(LogReadStatus.Success, log.Read(batchStarts[0], maxBytes: 1, long.MaxValue, minOneBatch: true).Status);
        Assert.Equal(LogReadStatus.StorageError, log.Read(batchStarts[1], maxBytes: 1, long.MaxValue, minOneBatch: true).Status);
        Assert.True(log.IsOffline);
        log.Close();
    }

    [Fact]
    public void After_an_unclean_shutdown_corruption_below_the_recovered_segment_is_caught_by_the_read()
    {
        using var dir = new TempDirectory();
        (long end, List<long> batchStarts) = WriteAndClose(dir, batches: 20);
        FlipValueByte(dir, batchIndex: 2);

        // Recovery reads only the segment holding the recovery point (the last one).
        PartitionLog log = LogTestKit.Open(dir, Config, _clock, recoveryPoint: end, clean: false);
        Assert.Equal(end, log.LogEndOffset);
        Assert.Equal(LogReadStatus.StorageError, log.Read(batchStarts[2], maxBytes: 1, long.MaxValue, minOneBatch: true).Status);
        Assert.True(log.IsOffline);
        log.Close();
    }

    [Fact]
    public void A_read_whose_range_a_truncation_cut_meanwhile_is_not_reported_as_corruption()
    {
        using var dir = new TempDirectory();
        WriteAndClose(dir, batches: 20);
        string file = Path.Combine(LogTestKit.PartitionDir(dir), $"{0:D20}.log");
        int size = (int)new FileInfo(file).Length;
        LogSegment segment = LogSegment.OpenExisting(LogTestKit.PartitionDir(dir), 0, Config, size);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle = segment.AcquireHandle()!;
        try
        {
            // The read found [0, size); then the segment is cut to its first batch (a follower's
            // truncation) before the read's check runs.
            Assert.NotNull(segment.TruncateTo(3));
            Assert.True(new FileInfo(file).Length < size);
            segment.CheckBeforeServing(handle, 0, size);
        }
        finally
        {
            handle.DangerousRelease();
            segment.Close();
        }
    }

    [Fact]
    public void Intact_old_segments_are_served_after_a_restart_and_appends_go_on()
    {
        using var dir = new TempDirectory();
        (long end, List<long> batchStarts) = WriteAndClose(dir, batches: 20);
        PartitionLog log = LogTestKit.Open(dir, Config, _clock, recoveryPoint: end, clean: true);

        // A read from the middle first (its own batches checked), then everything in order, twice.
        Assert.Equal(LogReadStatus.Success, log.Read(batchStarts[9], maxBytes: 1, long.MaxValue, minOneBatch: true).Status);
        List<(long Offset, int Tag)> all = LogTestKit.ReadAll(log, maxBytes: 300);
        Assert.Equal(end, all.Count);
        Assert.Equal(all, LogTestKit.ReadAll(log));
        Assert.All(all, r => Assert.Equal(r.Offset, r.Tag));

        // The active segment was on disk too: truncated into and appended to, it reads back.
        log.TruncateTo(batchStarts[^2]);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(2, 5000, tag: (int)log.LogEndOffset), 0).Status);
        List<(long Offset, int Tag)> after = LogTestKit.ReadAll(log);
        Assert.Equal(log.LogEndOffset, after.Count);
        Assert.All(after, r => Assert.Equal(r.Offset, r.Tag));
        Assert.False(log.IsOffline);
        log.Close();
    }

    /// <summary>Writes single-batch appends of 3 records and closes cleanly; returns the log end and each batch's first offset.</summary>
    private (long End, List<long> BatchStarts) WriteAndClose(TempDirectory dir, int batches)
    {
        PartitionLog log = LogTestKit.Open(dir, Config, _clock);
        var starts = new List<long>();
        for (int i = 0; i < batches; i++)
        {
            starts.Add(log.LogEndOffset);
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(3, 1000 + i, tag: (int)log.LogEndOffset, valueSize: 40), 0).Status);
        }

        Assert.True(log.Segments.Count >= 3, $"{log.Segments.Count} segments");
        long end = log.LogEndOffset;
        log.Close();
        return (end, starts);
    }

    /// <summary>Flips one byte of the last record of the <paramref name="batchIndex"/>-th batch of the first segment.</summary>
    private static void FlipValueByte(TempDirectory dir, int batchIndex)
    {
        string file = Path.Combine(LogTestKit.PartitionDir(dir), $"{0:D20}.log");
        byte[] bytes = File.ReadAllBytes(file);
        int position = 0;
        for (int i = 0; i < batchIndex; i++)
        {
            position += 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8));
        }

        int batchEnd = position + 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8));
        Assert.True(batchEnd <= bytes.Length, "the batch is not in the first segment");
        bytes[batchEnd - 5] ^= 0x20;
        File.WriteAllBytes(file, bytes);
    }
}
