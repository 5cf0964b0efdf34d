using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>Builds test batches and reads a log back as (offset, value) pairs.</summary>
internal static class LogTestKit
{
    public static readonly TopicPartition Partition = new("events", 0);

    /// <summary>A producer-style batch (base offset 0, epoch -1) of <paramref name="count"/> records whose values are their tags.</summary>
    public static byte[] Batch(int count, long timestamp, int tag = 0, int valueSize = 8)
    {
        using var writer = new PooledBufferWriter();
        using var builder = new RecordBatchBuilder(writer, CompressionType.None, 0);
        for (int i = 0; i < count; i++)
        {
            byte[] value = new byte[Math.Max(valueSize, 4)];
            BinaryPrimitives.WriteInt32BigEndian(value, tag + i);
            builder.Append(timestamp + i, null, value);
        }

        builder.Complete();
        return writer.ToArray();
    }

    public static PartitionLog Open(TempDirectory dir, LogConfig config, TimeProvider time, long recoveryPoint = 0, bool clean = true, long logStartOffset = 0) =>
        PartitionLog.Open(dir.Combine(Partition.DirectoryName), Partition, config, time, recoveryPoint, clean, logStartOffset);

    public static string PartitionDir(TempDirectory dir) => dir.Combine(Partition.DirectoryName);

    /// <summary>Every record from the log start to <paramref name="maxOffset"/>, checking each batch is whole and valid.</summary>
    public static List<(long Offset, int Tag)> ReadAll(PartitionLog log, long maxOffset = long.MaxValue, int maxBytes = 1 << 20)
    {
        var result = new List<(long, int)>();
        long next = log.LogStartOffset;
        long limit = Math.Min(maxOffset, log.LogEndOffset);
        while (next < limit)
        {
            LogReadInfo read = log.Read(next, maxBytes, maxOffset, minOneBatch: true);
            Assert.Equal(LogReadStatus.Success, read.Status);
            if (read.Length == 0)
            {
                break;
            }

            byte[] bytes = new byte[read.Length];
            Assert.Equal(read.Length, read.CopyTo(bytes));
            foreach ((long offset, int tag) in Records(bytes))
            {
                if (offset >= next)
                {
                    result.Add((offset, tag));
                }

                next = Math.Max(next, offset + 1);
            }
        }

        return result;
    }

    /// <summary>The records of a blob of whole, valid batches (asserts both).</summary>
    public static List<(long Offset, int Tag)> Records(byte[] blob)
    {
        var result = new List<(long, int)>();
        RecordBatchEnumerator batches = RecordBatch.Enumerate(blob);
        using var scratch = new PooledBufferWriter();
        while (batches.MoveNext())
        {
            ReadOnlyMemory<byte> batch = batches.Current;
            Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch.Span));
            long baseOffset = new RecordBatchHeader(batch.Span).BaseOffset;
            foreach (Samsa.Protocol.Records.Record record in RecordBatch.GetRecords(batch, scratch, 1 << 24))
            {
                result.Add((record.GetOffset(baseOffset), BinaryPrimitives.ReadInt32BigEndian(record.Value)));
            }
        }

        Assert.Equal(RecordBatchEnumeratorStatus.Complete, batches.Status);
        return result;
    }
}
