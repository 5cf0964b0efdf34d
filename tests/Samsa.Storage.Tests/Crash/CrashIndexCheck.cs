using System.Buffers.Binary;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;

namespace Samsa.Storage.Tests.Crash;

/// <summary>
/// Checks the index files of a closed partition against its segment files, in Kafka's formats:
/// every <c>.index</c> entry (relative offset, position) names the start of a stored batch and that
/// batch's last offset, entries growing; every <c>.timeindex</c> entry (timestamp, relative offset)
/// names a batch whose max timestamp it is, timestamps growing; and a sealed segment's time index
/// ends with the segment's largest timestamp, which time retention reads after a restart.
/// </summary>
internal static class CrashIndexCheck
{
    private const int OffsetEntrySize = 8;
    private const int TimeEntrySize = 12;

    /// <summary>Asserts the above for every segment; returns how many index entries it checked.</summary>
    public static int Run(string partitionDir)
    {
        var bases = new List<long>();
        foreach (string path in Directory.GetFiles(partitionDir, "*" + LogFileNames.LogSuffix))
        {
            if (LogFileNames.TryParseBaseOffset(Path.GetFileName(path), out long baseOffset))
            {
                bases.Add(baseOffset);
            }
        }

        bases.Sort();
        int entries = 0;
        for (int i = 0; i < bases.Count; i++)
        {
            entries += CheckSegment(partitionDir, bases[i], isSealed: i < bases.Count - 1);
        }

        return entries;
    }

    private static int CheckSegment(string dir, long baseOffset, bool isSealed)
    {
        byte[] log = File.ReadAllBytes(LogFileNames.LogPath(dir, baseOffset));
        var byPosition = new Dictionary<int, (long LastOffset, long MaxTimestamp)>();
        var byLastOffset = new Dictionary<long, long>();
        long maxTimestamp = -1;
        for (int position = 0; position < log.Length;)
        {
            var header = new RecordBatchHeader(log.AsSpan(position));
            byPosition[position] = (header.LastOffset, header.MaxTimestamp);
            byLastOffset[header.LastOffset] = header.MaxTimestamp;
            maxTimestamp = Math.Max(maxTimestamp, header.MaxTimestamp);
            position += (int)header.SizeInBytes;
        }

        string context = $"segment {baseOffset} of {dir}";
        byte[] index = File.ReadAllBytes(LogFileNames.IndexPath(dir, baseOffset));
        Assert.True(index.Length % OffsetEntrySize == 0, $"{context}: .index of {index.Length} bytes");
        long previousRelative = -1;
        int previousPosition = -1;
        for (int i = 0; i < index.Length; i += OffsetEntrySize)
        {
            int relative = BinaryPrimitives.ReadInt32BigEndian(index.AsSpan(i));
            int position = BinaryPrimitives.ReadInt32BigEndian(index.AsSpan(i + 4));
            Assert.True(relative > previousRelative && position > previousPosition, $"{context}: .index entry {i / OffsetEntrySize} does not grow");
            Assert.True(byPosition.TryGetValue(position, out var batch), $"{context}: .index entry {i / OffsetEntrySize} points inside a batch ({position})");
            Assert.Equal(batch.LastOffset, baseOffset + relative);
            previousRelative = relative;
            previousPosition = position;
        }

        byte[] times = File.ReadAllBytes(LogFileNames.TimeIndexPath(dir, baseOffset));
        Assert.True(times.Length % TimeEntrySize == 0, $"{context}: .timeindex of {times.Length} bytes");
        long previousTimestamp = long.MinValue;
        for (int i = 0; i < times.Length; i += TimeEntrySize)
        {
            long timestamp = BinaryPrimitives.ReadInt64BigEndian(times.AsSpan(i));
            long offset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(times.AsSpan(i + 8));
            Assert.True(timestamp > previousTimestamp, $"{context}: .timeindex entry {i / TimeEntrySize} does not grow");
            Assert.True(byLastOffset.TryGetValue(offset, out long batchMax), $"{context}: .timeindex entry {i / TimeEntrySize} names no batch end ({offset})");
            Assert.Equal(batchMax, timestamp);
            previousTimestamp = timestamp;
        }

        if (isSealed && log.Length > 0)
        {
            Assert.True(times.Length > 0, $"{context}: sealed segment without a time index entry");
            Assert.Equal(maxTimestamp, previousTimestamp);
        }

        return (index.Length / OffsetEntrySize) + (times.Length / TimeEntrySize);
    }
}
