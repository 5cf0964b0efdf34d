using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;
using Record = Samsa.Protocol.Records.Record;

namespace Samsa.Protocol.Tests.Records;

public class AllocationTests
{
    [Fact]
    public void ValidateIterateAndPatch_AllocateNothing()
    {
        byte[] one = TestBatch.Build(CompressionCodec.ForType(CompressionType.None), 0,
        [
            new TestRecord(1, 5, "k"u8.ToArray(), "v"u8.ToArray(), [new TestHeader("a"u8.ToArray(), "b"u8.ToArray()), new TestHeader("c"u8.ToArray(), null)]),
            TestBatch.Simple(null, "x"),
        ]);
        byte[] blob = [.. one, .. one, .. one[..20]];

        long checksum = Exercise(blob); // warm up: JIT and static initialisation may allocate
        long before = GC.GetAllocatedBytesForCurrentThread();
        checksum += Exercise(blob);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(checksum > 0);
        Assert.Equal(0, allocated);
    }

    private static long Exercise(byte[] blob)
    {
        long checksum = 0;
        var batches = RecordBatch.Enumerate(blob);
        while (batches.MoveNext())
        {
            ReadOnlyMemory<byte> batch = batches.Current;
            if (RecordBatch.TryValidate(batch.Span) != RecordBatchStatus.Valid)
            {
                return -1;
            }

            var header = new RecordBatchHeader(batch.Span);
            var records = new RecordEnumerator(header.Records, header.RecordCount);
            while (records.TryMoveNext() == RecordReadStatus.Record)
            {
                Record record = records.Current;
                checksum += record.Value.Length + record.Key.Length + record.OffsetDelta;
                foreach (RecordHeader h in record.Headers)
                {
                    checksum += h.Key.Length + h.Value.Length;
                }
            }

            // Patching the blob in place, as the leader does on append.
            Span<byte> writable = blob.AsSpan(batches.Position, batch.Length);
            RecordBatch.SetBaseOffset(writable, 100);
            RecordBatch.SetPartitionLeaderEpoch(writable, 3);
            RecordBatch.SetMaxTimestamp(writable, TimestampType.LogAppendTime, checksum);
        }

        return batches.Status == RecordBatchEnumeratorStatus.TruncatedTail ? checksum : -1;
    }
}
