using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

public sealed class PartitionLogRecoveryTests
{
    private static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 1000, IndexIntervalBytes = 150 };
    private readonly ManualClock _clock = new();

    /// <summary>Appends single-batch writes and returns, per batch, (last offset + 1, end byte position in its segment file, segment base).</summary>
    private static List<(long EndOffset, long SegmentBase, int EndPosition)> Fill(PartitionLog log, int batches)
    {
        var ends = new List<(long, long, int)>();
        for (int i = 0; i < batches; i++)
        {
            long next = log.LogEndOffset;
            log.AppendAsLeader(LogTestKit.Batch(1 + (i % 3), 1000 + i, tag: (int)next), 0);
            LogSegmentInfo active = log.Segments[^1];
            ends.Add((log.LogEndOffset, active.BaseOffset, active.SizeInBytes));
        }

        return ends;
    }

    [Fact]
    public void Torn_tail_at_random_points_keeps_every_whole_batch_before_the_cut()
    {
        var random = new Random(42);
        for (int trial = 0; trial < 25; trial++)
        {
            using var dir = new TempDirectory();
            PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
            List<(long EndOffset, long SegmentBase, int EndPosition)> ends = Fill(log, 30);
            long lastBase = log.Segments[^1].BaseOffset;
            int lastSize = log.Segments[^1].SizeInBytes;
            log.Close();

            int cut = random.Next(0, lastSize);
            string file = Path.Combine(LogTestKit.PartitionDir(dir), $"{lastBase:D20}.log");
            using (FileStream stream = File.Open(file, FileMode.Open))
            {
                stream.SetLength(cut);
            }

            long expectedEnd = lastBase;
            foreach ((long endOffset, long segmentBase, int endPosition) in ends)
            {
                if (segmentBase == lastBase && endPosition <= cut)
                {
                    expectedEnd = endOffset;
                }
            }

            log = LogTestKit.Open(dir, SmallSegments, _clock, recoveryPoint: lastBase, clean: false);
            Assert.Equal(expectedEnd, log.LogEndOffset);
            List<(long Offset, int Tag)> records = LogTestKit.ReadAll(log);
            Assert.Equal((int)expectedEnd, records.Count);
            Assert.All(records, r => Assert.Equal(r.Offset, r.Tag));

            // The log continues where the valid data ended.
            Assert.Equal(expectedEnd, log.AppendAsLeader(LogTestKit.Batch(1, 5000, tag: (int)expectedEnd), 0).FirstOffset);
            Assert.Equal((int)expectedEnd + 1, LogTestKit.ReadAll(log).Count);
            log.Close();
        }
    }

    [Fact]
    public void Flipped_byte_in_the_tail_truncates_there_and_drops_later_segments()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 40);
        IReadOnlyList<LogSegmentInfo> segments = log.Segments;
        Assert.True(segments.Count >= 4);
        LogSegmentInfo victim = segments[^3];
        log.Close();

        // Corrupt a byte in the records of the victim's second batch (CRC-covered).
        string file = Path.Combine(LogTestKit.PartitionDir(dir), $"{victim.BaseOffset:D20}.log");
        byte[] bytes = File.ReadAllBytes(file);
        int firstSize = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)) + 12;
        bytes[firstSize + 70] ^= 0x40;
        File.WriteAllBytes(file, bytes);

        log = LogTestKit.Open(dir, SmallSegments, _clock, recoveryPoint: victim.BaseOffset, clean: false);
        Assert.Equal(segments.Count - 2, log.Segments.Count);
        Assert.Equal(firstSize, log.Segments[^1].SizeInBytes);
        List<(long Offset, int Tag)> records = LogTestKit.ReadAll(log);
        Assert.Equal((int)log.LogEndOffset, records.Count);
        Assert.False(File.Exists(Path.Combine(LogTestKit.PartitionDir(dir), $"{segments[^1].BaseOffset:D20}.log")));
        log.Close();
    }

    [Fact]
    public void Corruption_below_the_recovery_point_is_reported()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, SmallSegments, _clock);
        Fill(log, 10);
        long end = log.LogEndOffset;
        log.Close();

        string file = Path.Combine(LogTestKit.PartitionDir(dir), $"{log.Segments[^1].BaseOffset:D20}.log");
        byte[] bytes = File.ReadAllBytes(file);
        bytes[70] ^= 0x01;
        File.WriteAllBytes(file, bytes);

        Assert.Throws<StorageException>(() => LogTestKit.Open(dir, SmallSegments, _clock, recoveryPoint: end, clean: false));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("garbage")]
    [InlineData("zeros")]
    public void Bad_or_missing_indexes_are_rebuilt(string damage)
    {
        using var dir = new TempDirectory();
        var config = LogConfig.Default with { SegmentBytes = 3000, IndexIntervalBytes = 100 };
        PartitionLog log = LogTestKit.Open(dir, config, _clock);
        Fill(log, 60);
        List<(long Offset, int Tag)> before = LogTestKit.ReadAll(log);
        log.Close();

        foreach (string index in Directory.GetFiles(LogTestKit.PartitionDir(dir), "*index"))
        {
            switch (damage)
            {
                case "missing":
                    File.Delete(index);
                    break;
                case "garbage":
                    File.WriteAllBytes(index, [.. Enumerable.Range(0, 96).Select(i => (byte)(i * 37))]);
                    break;
                default:
                    File.WriteAllBytes(index, new byte[240]);
                    break;
            }
        }

        foreach (bool clean in new[] { true, false })
        {
            log = LogTestKit.Open(dir, config, _clock, recoveryPoint: clean ? 1000 : 0, clean: clean);
            Assert.Equal(before, LogTestKit.ReadAll(log));
            for (long offset = 0; offset < log.LogEndOffset; offset += 5)
            {
                LogReadInfo read = log.Read(offset, 1, long.MaxValue, true);
                byte[] bytes = new byte[read.Length];
                read.CopyTo(bytes);
                Assert.Contains(LogTestKit.Records(bytes), r => r.Offset == offset);
            }

            Assert.Equal(0, log.FindOffsetByTimestamp(0));
            Assert.Equal(before[^1].Offset, log.FindOffsetByTimestamp(1000 + 59 + 2));
            Assert.Null(log.FindOffsetByTimestamp(5000));
            log.Close();
        }
    }

    [Fact]
    public void Stray_files_are_cleaned_up_on_open()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        Fill(log, 3);
        log.Close();
        string partitionDir = LogTestKit.PartitionDir(dir);
        foreach (string stray in new[] { "00000000000000000000.index.tmp", "00000000000000000050.log.cleaned", "00000000000000000007.log.deleted", "00000000000000000099.index" })
        {
            File.WriteAllBytes(Path.Combine(partitionDir, stray), [1, 2, 3]);
        }

        log = LogTestKit.Open(dir, LogConfig.Default, _clock, recoveryPoint: 0, clean: false);
        Assert.Equal(6, LogTestKit.ReadAll(log).Count);
        string[] left = [.. Directory.GetFiles(partitionDir).Select(Path.GetFileName).Order()!];
        Assert.DoesNotContain(left, f => f!.EndsWith(".tmp", StringComparison.Ordinal) || f.EndsWith(".cleaned", StringComparison.Ordinal) || f.EndsWith(".deleted", StringComparison.Ordinal));
        Assert.DoesNotContain("00000000000000000099.index", left);
        log.Close();
    }
}
