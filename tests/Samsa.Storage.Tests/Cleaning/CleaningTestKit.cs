using System.Buffers.Binary;
using System.Text;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.Cleaning;
using Samsa.Storage.Log;
using Samsa.Storage.Tests.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Cleaning;

/// <summary>Keyed batches for compacted logs, and reading a log back as (offset, key, value) records.</summary>
internal static class CleaningTestKit
{
    public const long DeleteRetentionMs = 60_000;

    /// <summary>
    /// Compacted, segments rolled by time (one per append when the clock moves a second between
    /// appends) so segment sizes stay small and groups can merge; deletions immediate.
    /// </summary>
    public static readonly LogConfig Config = LogConfig.Default with
    {
        CleanupPolicy = CleanupPolicy.Compact,
        SegmentMs = 1000,
        SegmentBytes = 1024 * 1024,
        IndexIntervalBytes = 64,
        DeleteRetentionMs = DeleteRetentionMs,
        MinCleanableDirtyRatio = 0,
        FileDeleteDelayMs = 0,
        RetentionMs = -1,
    };

    public static byte[] Batch(long timestamp, params (string Key, int? Value)[] records) =>
        Batch(CompressionType.None, timestamp, records);

    public static byte[] Batch(CompressionType compression, long timestamp, params (string Key, int? Value)[] records) =>
        Batch(compression, timestamp, producerId: -1, records);

    public static byte[] Batch(CompressionType compression, long timestamp, long producerId, params (string Key, int? Value)[] records) =>
        Batch(compression, timestamp, producerId, 0, records);

    public static byte[] Batch(CompressionType compression, long timestamp, long producerId, int baseSequence, params (string Key, int? Value)[] records)
    {
        using var writer = new PooledBufferWriter();
        using var builder = new RecordBatchBuilder(writer, compression, 0)
        {
            ProducerId = producerId,
            ProducerEpoch = (short)(producerId >= 0 ? 0 : -1),
            BaseSequence = producerId >= 0 ? baseSequence : -1,
        };
        for (int i = 0; i < records.Length; i++)
        {
            byte[]? value = null;
            if (records[i].Value is int v)
            {
                value = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(value, v);
            }

            builder.Append(timestamp + i, Encoding.UTF8.GetBytes(records[i].Key), value);
        }

        builder.Complete();
        return writer.ToArray();
    }

    /// <summary>Appends as leader, then moves the clock a bit more than segment.ms so the next append rolls.</summary>
    public static LogAppendInfo Append(PartitionLog log, ManualClock clock, byte[] batch)
    {
        LogAppendInfo info = log.AppendAsLeader(batch, 0);
        Assert.Equal(LogAppendStatus.Success, info.Status);
        clock.Advance(TimeSpan.FromMilliseconds(1001));
        return info;
    }

    public static LogCleaner Cleaner(TempDirectory dir, long dedupeBufferSize = LogCleanerConfig.MinDedupeBufferSize) =>
        new(dir.Path, LogCleanerConfig.Default with { DedupeBufferSize = dedupeBufferSize });

    public static CleanResult Clean(LogCleaner cleaner, PartitionLog log, ManualClock clock, bool force = true) =>
        cleaner.Clean(log, clock.UnixTimeMilliseconds, log.LogEndOffset, force);

    /// <summary>Every record from the log start to the end, checking each batch is whole and CRC-valid.</summary>
    public static List<StoredRecord> ReadAll(PartitionLog log)
    {
        var result = new List<StoredRecord>();
        long next = log.LogStartOffset;
        using var scratch = new PooledBufferWriter();
        while (next < log.LogEndOffset)
        {
            LogReadInfo read = log.Read(next, 1 << 20, long.MaxValue, minOneBatch: true);
            Assert.Equal(LogReadStatus.Success, read.Status);
            if (read.Length == 0)
            {
                break;
            }

            byte[] bytes = new byte[read.Length];
            Assert.Equal(read.Length, read.CopyTo(bytes));
            foreach (StoredRecord record in Records(bytes, scratch))
            {
                if (record.Offset >= next)
                {
                    result.Add(record);
                }

                next = Math.Max(next, record.Offset + 1);
            }

            RecordBatchEnumerator batches = RecordBatch.Enumerate(bytes);
            while (batches.MoveNext())
            {
                next = Math.Max(next, new RecordBatchHeader(batches.Current.Span).LastOffset + 1);
            }
        }

        return result;
    }

    /// <summary>The records of whole, valid batches.</summary>
    public static List<StoredRecord> Records(byte[] blob, PooledBufferWriter scratch)
    {
        var result = new List<StoredRecord>();
        RecordBatchEnumerator batches = RecordBatch.Enumerate(blob);
        while (batches.MoveNext())
        {
            ReadOnlyMemory<byte> batch = batches.Current;
            Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch.Span));
            var header = new RecordBatchHeader(batch.Span);
            long baseOffset = header.BaseOffset;
            long baseTimestamp = header.BaseTimestamp;
            foreach (Samsa.Protocol.Records.Record record in RecordBatch.GetRecords(batch, scratch, 1 << 24))
            {
                result.Add(new StoredRecord(
                    record.GetOffset(baseOffset),
                    Encoding.UTF8.GetString(record.Key),
                    record.IsValueNull ? null : BinaryPrimitives.ReadInt32BigEndian(record.Value),
                    record.GetTimestamp(baseTimestamp)));
            }
        }

        Assert.Equal(RecordBatchEnumeratorStatus.Complete, batches.Status);
        return result;
    }

    /// <summary>The newest record of each key, as a consumer reading the whole log would end up with.</summary>
    public static Dictionary<string, StoredRecord> Latest(IEnumerable<StoredRecord> records)
    {
        var latest = new Dictionary<string, StoredRecord>();
        foreach (StoredRecord record in records)
        {
            latest[record.Key] = record;
        }

        return latest;
    }

    /// <summary>Latest values with deleted keys (tombstone last) left out: what a consumer's table holds.</summary>
    public static Dictionary<string, int> Table(IEnumerable<StoredRecord> records)
    {
        var table = new Dictionary<string, int>();
        foreach (StoredRecord record in records)
        {
            if (record.Value is int value)
            {
                table[record.Key] = value;
            }
            else
            {
                table.Remove(record.Key);
            }
        }

        return table;
    }

    public static PartitionLog Open(TempDirectory dir, ManualClock clock, LogConfig? config = null) =>
        LogTestKit.Open(dir, config ?? Config, clock);
}
