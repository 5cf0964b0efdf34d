using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.CrashWriter;
using Samsa.Storage.Log;

namespace Samsa.Storage.Tests.Crash;

/// <summary>
/// Opens a log dir the crash writer left behind (in this process, as a restarted broker would) and
/// checks everything a crash must preserve: every acked append is there, offsets run from 0 without
/// a gap, every stored batch is whole and valid (CRC) with the self-describing values it was
/// written with, the segment files hold nothing but whole batches after recovery, the read path
/// returns the same bytes, and reads at random offsets find the right batch through the indexes.
/// </summary>
internal static class CrashLogCheck
{
    private const int RandomReads = 200;

    /// <summary>Runs the checks (asserting) and closes the log dir cleanly; returns what it found.</summary>
    public static CrashLogCheckResult Run(CrashWriterSettings settings, IReadOnlyCollection<long> acked, Random random, bool expectUnclean)
    {
        LogConfig config = settings.ToLogConfig();
        using LogDirectory directory = LogDirectory.Open(settings.LogDir, TimeProvider.System, _ => config);
        if (expectUnclean)
        {
            Assert.False(directory.HadCleanShutdown, "a killed writer cannot have left a clean-shutdown marker");
        }

        PartitionLog? log = directory.GetLog(CrashWriterSettings.Partition);
        if (log is null)
        {
            Assert.Empty(acked);
            return default;
        }

        Assert.Equal(0, log.LogStartOffset);
        long end = log.LogEndOffset;
        List<StoredBatch> batches = ScanSegmentFiles(log.Directory, end);

        // Every append whose call returned ends exactly at a stored batch's last offset.
        var lastOffsets = new HashSet<long>(batches.Count);
        foreach (StoredBatch batch in batches)
        {
            lastOffsets.Add(batch.LastOffset);
        }

        foreach (long offset in acked)
        {
            Assert.True(offset < end, $"acked offset {offset} lost: the log ends at {end}");
            Assert.True(lastOffsets.Contains(offset), $"acked offset {offset} is not the end of a stored batch");
        }

        CheckSequentialRead(log, batches, end);
        CheckRandomReads(log, batches, end, random);
        CheckLeaderEpochs(log, batches);
        return new CrashLogCheckResult(end, batches.Count, log.Segments.Count);
    }

    /// <summary>
    /// Reads every segment file as raw bytes: each must be whole valid batches back to back (no
    /// torn tail survives recovery), starting at the file's base offset and continuing the
    /// previous file; every record must carry its own offset.
    /// </summary>
    private static List<StoredBatch> ScanSegmentFiles(string partitionDir, long logEnd)
    {
        var files = new List<(long BaseOffset, string Path)>();
        foreach (string path in Directory.GetFiles(partitionDir, "*.log"))
        {
            Assert.True(LogFileNames.TryParseBaseOffset(Path.GetFileName(path), out long baseOffset), $"stray file {path}");
            files.Add((baseOffset, path));
        }

        files.Sort(static (a, b) => a.BaseOffset.CompareTo(b.BaseOffset));
        var batches = new List<StoredBatch>();
        using var scratch = new PooledBufferWriter();
        long expected = 0;
        foreach ((long baseOffset, string path) in files)
        {
            Assert.Equal(expected, baseOffset);
            byte[] bytes = File.ReadAllBytes(path);
            RecordBatchEnumerator enumerator = RecordBatch.Enumerate(bytes);
            int position = 0;
            while (enumerator.MoveNext())
            {
                ReadOnlyMemory<byte> batch = enumerator.Current;
                Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch.Span));
                var header = new RecordBatchHeader(batch.Span);
                Assert.Equal(expected, header.BaseOffset);
                long next = header.BaseOffset;
                foreach (Samsa.Protocol.Records.Record record in RecordBatch.GetRecords(batch, scratch, 1 << 24))
                {
                    long offset = record.GetOffset(header.BaseOffset);
                    Assert.Equal(next, offset);
                    Assert.True(CrashRecordValue.IsValid(offset, record.Value), $"record {offset} does not hold its own value");
                    next++;
                }

                Assert.Equal(header.LastOffset + 1, next);
                batches.Add(new StoredBatch(header.BaseOffset, header.LastOffset, header.PartitionLeaderEpoch, batch.ToArray()));
                expected = next;
                position += batch.Length;
            }

            Assert.True(enumerator.Status == RecordBatchEnumeratorStatus.Complete, $"{path}: {enumerator.Status} after {position} of {bytes.Length} bytes");
        }

        Assert.Equal(logEnd, expected);
        return batches;
    }

    /// <summary>The read path from offset 0 to the end returns exactly the stored batches, in order.</summary>
    private static void CheckSequentialRead(PartitionLog log, List<StoredBatch> batches, long end)
    {
        int index = 0;
        long next = 0;
        byte[] buffer = new byte[1 << 20];
        while (next < end)
        {
            LogReadInfo read = log.Read(next, buffer.Length, end, minOneBatch: true);
            Assert.Equal(LogReadStatus.Success, read.Status);
            Assert.True(read.Length > 0, $"empty read at {next} below the log end {end}");
            Assert.Equal(next, read.FirstOffset);
            byte[] destination = read.Length <= buffer.Length ? buffer : new byte[read.Length];
            Assert.Equal(read.Length, read.CopyTo(destination));
            ReadOnlySpan<byte> bytes = destination.AsSpan(0, read.Length);
            while (!bytes.IsEmpty)
            {
                byte[] expected = batches[index].Bytes;
                Assert.True(bytes[..expected.Length].SequenceEqual(expected), $"read bytes of batch {batches[index].BaseOffset} differ from the file");
                bytes = bytes[expected.Length..];
                next = batches[index].LastOffset + 1;
                index++;
            }
        }

        Assert.Equal(batches.Count, index);
    }

    /// <summary>One-batch reads at random offsets land on the batch holding the offset (offset index + scan).</summary>
    private static void CheckRandomReads(PartitionLog log, List<StoredBatch> batches, long end, Random random)
    {
        if (end == 0)
        {
            return;
        }

        for (int i = 0; i < RandomReads; i++)
        {
            long offset = random.NextInt64(end);
            int lo = 0;
            int hi = batches.Count - 1;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (batches[mid].LastOffset < offset)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            StoredBatch expected = batches[lo];
            LogReadInfo read = log.Read(offset, 1, end, minOneBatch: true);
            Assert.Equal(LogReadStatus.Success, read.Status);
            Assert.Equal(expected.BaseOffset, read.FirstOffset);
            Assert.Equal(expected.Bytes.Length, read.Length);
            byte[] bytes = new byte[read.Length];
            Assert.Equal(read.Length, read.CopyTo(bytes));
            Assert.True(bytes.AsSpan().SequenceEqual(expected.Bytes), $"random read at {offset} returned other bytes");
        }
    }

    /// <summary>
    /// The epoch cache (leader-epoch-checkpoint) is exactly the epoch changes of the stored
    /// batches: an entry for each epoch at its first batch, none for data that is gone.
    /// Replication relies on it (OffsetForLeaderEpoch), so a crash may not leave it behind the log.
    /// (This caught the append writing the batch before checkpointing its new epoch.)
    /// </summary>
    private static void CheckLeaderEpochs(PartitionLog log, List<StoredBatch> batches)
    {
        var expected = new List<Samsa.Storage.Checkpoints.EpochEntry>();
        foreach (StoredBatch batch in batches)
        {
            if (batch.LeaderEpoch >= 0 && (expected.Count == 0 || batch.LeaderEpoch > expected[^1].Epoch))
            {
                expected.Add(new(batch.LeaderEpoch, batch.BaseOffset));
            }
        }

        Assert.Equal(expected, log.LeaderEpochCache.Entries);
    }

    private readonly record struct StoredBatch(long BaseOffset, long LastOffset, int LeaderEpoch, byte[] Bytes);
}
