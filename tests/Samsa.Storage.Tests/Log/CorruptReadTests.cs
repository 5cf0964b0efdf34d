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
        (PartitionLog log, List<long> batchStarts) = ReopenWithFlippedByte(dir, batchIndex: 2, clean: true);

        // What comes before it is served; the read that would serve it is refused.
        Assert.Equal(LogReadStatus.Success, ReadStatus(log, batchStarts[0], maxBytes: 1));
        AssertRefused(log, batchStarts[2], maxBytes: 1);
        Assert.Contains("fails its check (CrcMismatch)", log.OfflineReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_that_covers_a_corrupt_batch_is_refused_whole()
    {
        using var dir = new TempDirectory();
        (PartitionLog log, _) = ReopenWithFlippedByte(dir, batchIndex: 3, clean: true);
        AssertRefused(log, 0, maxBytes: 1 << 20);
    }

    [Fact]
    public void A_read_further_on_does_not_count_an_earlier_corrupt_batch_as_checked()
    {
        using var dir = new TempDirectory();
        (PartitionLog log, List<long> batchStarts) = ReopenWithFlippedByte(dir, batchIndex: 1, clean: true);
        Assert.Equal(LogReadStatus.Success, ReadStatus(log, batchStarts[2], maxBytes: 1 << 20));
        Assert.Equal(LogReadStatus.Success, ReadStatus(log, batchStarts[0], maxBytes: 1));
        AssertRefused(log, batchStarts[1], maxBytes: 1);
    }

    [Fact]
    public void After_an_unclean_shutdown_corruption_below_the_recovered_segment_is_caught_by_the_read()
    {
        // Recovery reads only the segment holding the recovery point (the last one).
        using var dir = new TempDirectory();
        (PartitionLog log, List<long> batchStarts) = ReopenWithFlippedByte(dir, batchIndex: 2, clean: false);
        AssertRefused(log, batchStarts[2], maxBytes: 1);
    }

    [Fact]
    public void A_broken_batch_length_in_an_old_segment_takes_the_log_offline()
    {
        // The read's header scan cannot step over the batch, so it never reaches the CRC check of
        // what it serves; the refusal must still name the batch and take the log offline.
        using var dir = new TempDirectory();
        (long end, List<long> batchStarts) = WriteAndClose(dir, batches: 20);
        EditFirstSegment(dir, batchIndex: 1, (bytes, batch) => bytes[batch + 8] ^= 0x40); // length + 1 GiB
        PartitionLog log = LogTestKit.Open(dir, Config, _clock, recoveryPoint: end, clean: true);

        AssertRefused(log, batchStarts[1], maxBytes: 1);
        Assert.Contains("bad batch length", log.OfflineReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_read_range_that_a_truncation_has_cut_is_not_reported_as_corruption()
    {
        using var dir = new TempDirectory();
        WriteAndClose(dir, batches: 20);
        string file = Path.Combine(LogTestKit.PartitionDir(dir), $"{0:D20}.log");
        int size = (int)new FileInfo(file).Length;
        LogSegment segment = LogSegment.OpenExisting(LogTestKit.PartitionDir(dir), 0, Config, size);
        try
        {
            // A read found [0, size); the segment is cut to its first batch (a follower's
            // truncation) before the read's check runs.
            Assert.NotNull(segment.TruncateTo(3));
            Assert.True(new FileInfo(file).Length < size);
            segment.CheckBeforeServing(0, size);
        }
        finally
        {
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

    /// <summary>
    /// A log of 20 batches, closed, with one value byte of the first segment's
    /// <paramref name="batchIndex"/>-th batch flipped while it was down, reopened after a clean or
    /// an unclean shutdown; the log end is whole either way.
    /// </summary>
    private (PartitionLog Log, List<long> BatchStarts) ReopenWithFlippedByte(TempDirectory dir, int batchIndex, bool clean)
    {
        (long end, List<long> batchStarts) = WriteAndClose(dir, batches: 20);
        FlipValueByte(dir, batchIndex);
        PartitionLog log = LogTestKit.Open(dir, Config, _clock, recoveryPoint: end, clean: clean);
        Assert.Equal(end, log.LogEndOffset);
        return (log, batchStarts);
    }

    private static LogReadStatus ReadStatus(PartitionLog log, long offset, int maxBytes) =>
        log.Read(offset, maxBytes, long.MaxValue, minOneBatch: true).Status;

    /// <summary>The read is refused and the log is offline, saying why; closes the log.</summary>
    private static void AssertRefused(PartitionLog log, long offset, int maxBytes)
    {
        Assert.Equal(LogReadStatus.StorageError, ReadStatus(log, offset, maxBytes));
        Assert.True(log.IsOffline);
        Assert.Contains("not served", log.OfflineReason, StringComparison.Ordinal);
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
    private static void FlipValueByte(TempDirectory dir, int batchIndex) =>
        EditFirstSegment(dir, batchIndex, (bytes, batch) =>
        {
            int batchEnd = batch + 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(batch + 8));
            Assert.True(batchEnd <= bytes.Length, "the batch is not in the first segment");
            bytes[batchEnd - 5] ^= 0x20;
        });

    /// <summary>Rewrites the first segment's file after <paramref name="edit"/> of its bytes, given the <paramref name="batchIndex"/>-th batch's position.</summary>
    private static void EditFirstSegment(TempDirectory dir, int batchIndex, Action<byte[], int> edit)
    {
        string file = Path.Combine(LogTestKit.PartitionDir(dir), $"{0:D20}.log");
        byte[] bytes = File.ReadAllBytes(file);
        int position = 0;
        for (int i = 0; i < batchIndex; i++)
        {
            position += 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8));
        }

        edit(bytes, position);
        File.WriteAllBytes(file, bytes);
    }
}
