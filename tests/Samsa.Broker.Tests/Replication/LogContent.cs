using Samsa.Protocol.Records;
using Samsa.Storage.Log;

namespace Samsa.Broker.Tests.Replication;

/// <summary>Every stored byte of a log, across segments, for byte-for-byte comparisons of replicas.</summary>
internal static class LogContent
{
    public static byte[] Bytes(PartitionLog log)
    {
        var bytes = new List<byte>();
        long offset = log.LogStartOffset;
        long end = log.LogEndOffset;
        while (offset < end)
        {
            LogReadInfo read = log.Read(offset, int.MaxValue, end, minOneBatch: true);
            Assert.Equal(LogReadStatus.Success, read.Status);
            if (read.Length == 0)
            {
                break;
            }

            byte[] chunk = new byte[read.Length];
            read.CopyTo(chunk);
            bytes.AddRange(chunk);
            offset = LastOffset(chunk) + 1;
        }

        return [.. bytes];
    }

    private static long LastOffset(ReadOnlyMemory<byte> chunk)
    {
        long last = -1;
        RecordBatchEnumerator batches = RecordBatch.Enumerate(chunk);
        while (batches.MoveNext())
        {
            last = new RecordBatchHeader(batches.Current.Span).LastOffset;
        }

        return last;
    }
}
