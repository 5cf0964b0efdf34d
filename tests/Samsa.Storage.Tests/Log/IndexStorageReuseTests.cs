using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// At roll the sealed segment's index storage passes to the new active segment. A reader still
/// holding the sealed index must never get the new segment's entries as its own (a position in
/// another file would skip or repeat data): a retired index answers "the segment start", which is
/// always a correct place to scan from, and the sealed segment's reads use its saved files.
/// </summary>
public sealed class IndexStorageReuseTests
{
    [Fact]
    public void A_retired_offset_index_answers_the_segment_start_whatever_its_successor_writes()
    {
        var sealedIndex = new OffsetIndex(1000, 100);
        for (int i = 0; i < 50; i++)
        {
            sealedIndex.Append(1000 + (i * 10), i * 4096);
        }

        Assert.Equal((1200, 20 * 4096), sealedIndex.Lookup(1205));

        long[] storage = sealedIndex.Retire();
        var next = new OffsetIndex(5000, 100, storage);
        for (int i = 0; i < 50; i++)
        {
            next.Append(5000 + i, i * 100);
        }

        Assert.Equal((1000, 0), sealedIndex.Lookup(1205));
        Assert.Equal((1000, 0), sealedIndex.LookupByPosition(20 * 4096));
        Assert.Equal((5020, 2000), next.Lookup(5020));
    }

    [Fact]
    public void A_retired_time_index_answers_the_segment_start_whatever_its_successor_writes()
    {
        var sealedIndex = new TimeIndex(1000, 100);
        for (int i = 0; i < 50; i++)
        {
            sealedIndex.MaybeAppend(10_000 + (i * 10), 1000 + i);
        }

        Assert.Equal((10_200, 1020), sealedIndex.LookupBelow(10_205));
        var next = new TimeIndex(5000, 100, sealedIndex.Retire());
        for (int i = 0; i < 50; i++)
        {
            next.MaybeAppend(90_000 + i, 5000 + i);
        }

        Assert.Equal((-1, 1000), sealedIndex.LookupBelow(10_205));
        Assert.Equal((90_004, 5004), next.LookupBelow(90_005));
    }

    [Fact]
    public void Reads_of_rolled_segments_find_every_batch_through_their_saved_indexes()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
        byte[] first = LogTestKit.Batch(4, clock.UnixTimeMilliseconds, valueSize: 100);
        var config = LogConfig.Default with { SegmentBytes = first.Length * 50, IndexIntervalBytes = 0 };
        PartitionLog log = LogTestKit.Open(dir, config, clock);
        for (int i = 0; i < 260; i++)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(4, clock.UnixTimeMilliseconds + (i * 10), tag: i * 4, valueSize: 100), 0).Status);
        }

        Assert.Equal(6, log.Segments.Count);

        // Each offset through the index of its segment (one-batch reads), and by timestamp.
        for (long offset = 0; offset < log.LogEndOffset; offset += 3)
        {
            LogReadInfo read = log.Read(offset, 1, log.LogEndOffset, minOneBatch: true);
            Assert.Equal(offset - (offset % 4), read.FirstOffset);
        }

        Assert.Equal(400, log.FindOffsetByTimestamp(clock.UnixTimeMilliseconds + 1000));
        Assert.Equal(log.LogEndOffset, LogTestKit.ReadAll(log).Count);
        log.Close();
    }
}
