using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// A read remembers where it stopped so the next sequential read starts there without an index
/// lookup. These tests pin that the shortcut never changes what a read returns: sequential reads
/// capped by bytes, a read right after a truncation cut that position away and new batches took
/// it, and reads from offsets the shortcut does not cover.
/// </summary>
public sealed class SequentialReadTests
{
    private readonly ManualClock _clock = new();

    private static void Fill(PartitionLog log, int batches, int firstTag, int valueSize)
    {
        for (int i = 0; i < batches; i++)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(5, 1000 + i, tag: firstTag + (i * 5), valueSize: valueSize), 0).Status);
        }
    }

    private static List<(long Offset, int Tag)> ReadFrom(PartitionLog log, long offset, int maxBytes)
    {
        LogReadInfo read = log.Read(offset, maxBytes, long.MaxValue, minOneBatch: true);
        Assert.Equal(LogReadStatus.Success, read.Status);
        byte[] bytes = new byte[read.Length];
        read.CopyTo(bytes);
        return LogTestKit.Records(bytes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(300)]
    [InlineData(1000)]
    [InlineData(1 << 20)]
    public void Sequential_reads_capped_by_bytes_return_every_record_once_in_order(int maxBytes)
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { SegmentBytes = 4000, IndexIntervalBytes = 200 }, _clock);
        Fill(log, 40, firstTag: 0, valueSize: 30);
        List<(long Offset, int Tag)> all = LogTestKit.ReadAll(log, maxBytes: maxBytes);
        Assert.Equal(200, all.Count);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal((i, i), all[i]);
        }

        // Twice: the second pass starts from remembered positions left by the first.
        Assert.Equal(all, LogTestKit.ReadAll(log, maxBytes: maxBytes));
        log.Close();
    }

    [Fact]
    public void A_read_after_truncation_and_new_appends_returns_the_new_batches()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { IndexIntervalBytes = 100 }, _clock);
        Fill(log, 10, firstTag: 0, valueSize: 40);

        // Read offsets 0-24 so the segment remembers offset 25 at the boundary after them.
        int batchBytes = LogTestKit.Batch(5, 1000, valueSize: 40).Length;
        List<(long Offset, int Tag)> first = ReadFrom(log, 0, 5 * batchBytes);
        Assert.Equal(25, first[^1].Offset + 1);

        Assert.True(log.TruncateTo(10));
        Fill(log, 6, firstTag: 1000, valueSize: 7);

        // Offset 25 now sits in a different batch at a different position.
        List<(long Offset, int Tag)> reread = ReadFrom(log, 25, 1 << 20);
        Assert.Contains((25L, 1000 + 25 - 10), reread);
        Assert.DoesNotContain(reread, r => r.Tag < 1000);
        Assert.Equal(10 + 30, log.LogEndOffset);
        List<(long Offset, int Tag)> all = LogTestKit.ReadAll(log);
        Assert.Equal(40, all.Count);
        for (int i = 0; i < all.Count; i++)
        {
            Assert.Equal(i, all[i].Offset);
            Assert.Equal(i < 10 ? i : 1000 + i - 10, all[i].Tag);
        }

        log.Close();
    }

    [Fact]
    public void Reads_from_other_offsets_than_the_remembered_one_find_their_batch()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { IndexIntervalBytes = 100 }, _clock);
        Fill(log, 10, firstTag: 0, valueSize: 40);
        ReadFrom(log, 0, 600);
        foreach (long offset in new long[] { 49, 3, 27, 0, 26, 10, 11 })
        {
            List<(long Offset, int Tag)> records = ReadFrom(log, offset, 1);
            Assert.Contains((offset, (int)offset), records);
            Assert.Equal(offset - (offset % 5), records[0].Offset);
        }

        log.Close();
    }
}
