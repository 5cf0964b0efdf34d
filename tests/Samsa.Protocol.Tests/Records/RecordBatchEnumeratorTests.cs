using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public class RecordBatchEnumeratorTests
{
    private static readonly byte[][] Batches =
    [
        TestBatch.Build(CompressionCodec.ForType(CompressionType.None), 0, [TestBatch.Simple("a", "1"), TestBatch.Simple("b", "2")]),
        TestBatch.Build(ZstdCodec.Default, 2, [TestBatch.Simple("c", "3")]),
        TestBatch.Build(SnappyCodec.Default, 3, [TestBatch.Simple(null, "4")]),
    ];

    [Fact]
    public void ConcatenatedBatches_AreYieldedInOrder()
    {
        byte[] blob = [.. Batches[0], .. Batches[1], .. Batches[2]];
        var found = new List<long>();
        var batches = RecordBatch.Enumerate(blob);
        foreach (ReadOnlyMemory<byte> batch in batches)
        {
            Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch.Span));
            found.Add(new RecordBatchHeader(batch.Span).BaseOffset);
        }

        Assert.Equal([0L, 2L, 3L], found);
    }

    [Fact]
    public void TruncatedTrailingBatch_AtEveryCut_YieldsCompleteOnesThenReportsTail()
    {
        byte[] blob = [.. Batches[0], .. Batches[1], .. Batches[2]];
        int[] boundaries = [0, Batches[0].Length, Batches[0].Length + Batches[1].Length, blob.Length];
        for (int length = 0; length <= blob.Length; length++)
        {
            var batches = RecordBatch.Enumerate(blob.AsMemory(0, length));
            int count = 0;
            while (batches.MoveNext())
            {
                count++;
            }

            int complete = 0;
            while (complete < 3 && boundaries[complete + 1] <= length)
            {
                complete++;
            }

            Assert.Equal(complete, count);
            Assert.Equal(boundaries[complete], batches.Position);
            Assert.Equal(
                length == boundaries[complete] ? RecordBatchEnumeratorStatus.Complete : RecordBatchEnumeratorStatus.TruncatedTail,
                batches.Status);
        }
    }

    [Fact]
    public void ImpossibleBatchLength_StopsWithInvalidLength()
    {
        byte[] blob = [.. Batches[0], .. Batches[1]];
        BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(Batches[0].Length + RecordBatch.BatchLengthOffset), 10);
        var batches = RecordBatch.Enumerate(blob);
        Assert.True(batches.MoveNext());
        Assert.False(batches.MoveNext());
        Assert.Equal(RecordBatchEnumeratorStatus.InvalidLength, batches.Status);
        Assert.Equal(Batches[0].Length, batches.Position);
    }

    [Fact]
    public void HugeBatchLength_IsATruncatedTail_NotAnOverflow()
    {
        byte[] blob = (byte[])Batches[0].Clone();
        BinaryPrimitives.WriteInt32BigEndian(blob.AsSpan(RecordBatch.BatchLengthOffset), int.MaxValue);
        var batches = RecordBatch.Enumerate(blob);
        Assert.False(batches.MoveNext());
        Assert.Equal(RecordBatchEnumeratorStatus.TruncatedTail, batches.Status);
    }
}
