using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Record = Samsa.Protocol.Records.Record;

namespace Samsa.Protocol.Tests.Records;

public class RecordBatchBuilderTests
{
    public static TheoryData<string> CodecNames()
    {
        var data = new TheoryData<string>();
        foreach (CompressionCodec codec in TestBatch.AllCodecs())
        {
            data.Add(Describe(codec));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CodecNames))]
    public void BuildThenRead_EveryCodec_RoundTrips(string codecName)
    {
        CompressionCodec codec = Find(codecName);
        TestRecord[] records =
        [
            new(1, 1000, "k1"u8.ToArray(), "v1"u8.ToArray(), [new TestHeader("h"u8.ToArray(), "x"u8.ToArray()), new TestHeader("n"u8.ToArray(), null)]),
            new(1, 999, null, "tombstone-less"u8.ToArray(), []),
            new(3, 1005, "k3"u8.ToArray(), null, []),
            new(1, 1002, [], [], [new TestHeader([], [])]),
            new(1, 1003, "big"u8.ToArray(), new byte[200_000], []),
        ];

        byte[] batch = TestBatch.Build(codec, 42, records, b =>
        {
            b.ProducerId = 77;
            b.ProducerEpoch = 3;
            b.BaseSequence = 10;
            b.IsTransactional = true;
            b.PartitionLeaderEpoch = 5;
        });

        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch));
        var header = new RecordBatchHeader(batch);
        Assert.Equal(42, header.BaseOffset);
        Assert.Equal(batch.Length - 12, header.BatchLength);
        Assert.Equal(5, header.PartitionLeaderEpoch);
        Assert.Equal(2, header.Magic);
        Assert.Equal(codec.Type, header.CompressionType);
        Assert.Equal(TimestampType.CreateTime, header.TimestampType);
        Assert.True(header.IsTransactional);
        Assert.False(header.IsControlBatch);
        Assert.False(header.HasDeleteHorizon);
        Assert.Equal(6, header.LastOffsetDelta);
        Assert.Equal(48, header.LastOffset);
        Assert.Equal(1000, header.BaseTimestamp);
        Assert.Equal(1005, header.MaxTimestamp);
        Assert.Equal(77, header.ProducerId);
        Assert.Equal(3, header.ProducerEpoch);
        Assert.Equal(10, header.BaseSequence);
        Assert.Equal(5, header.RecordCount);

        var read = TestBatch.Read(batch);
        long expectedOffset = 41;
        for (int i = 0; i < records.Length; i++)
        {
            expectedOffset += records[i].OffsetGap;
            Assert.Equal(expectedOffset, read[i].Offset);
            Assert.Equal(records[i].Timestamp, read[i].Timestamp);
            AssertSameRecord(records[i], read[i].Record);
        }
    }

    [Fact]
    public void LogAppendTime_SetsFlagAndMaxTimestamp()
    {
        byte[] batch = TestBatch.Build(CompressionCodec.ForType(CompressionType.None), 0, [TestBatch.Simple("a", "b", 5)], b =>
        {
            b.TimestampType = TimestampType.LogAppendTime;
            b.LogAppendTime = 123_456;
        });

        var header = new RecordBatchHeader(batch);
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(123_456, header.MaxTimestamp);
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch));
    }

    [Fact]
    public void AppendRecord_CopiesRecordsFromAnotherBatch_IntoNewCodec()
    {
        TestRecord[] records =
        [
            new(1, 10, "a"u8.ToArray(), "1"u8.ToArray(), [new TestHeader("h1"u8.ToArray(), "v"u8.ToArray()), new TestHeader("h2"u8.ToArray(), null)]),
            new(1, 20, null, null, []),
        ];
        byte[] source = TestBatch.Build(SnappyCodec.Default, 100, records);

        using var output = new PooledBufferWriter();
        using var scratch = new PooledBufferWriter();
        var sourceHeader = new RecordBatchHeader(source);
        using (var builder = new RecordBatchBuilder(output, CompressionType.Zstd, 500))
        {
            foreach (Record r in RecordBatch.GetRecords(source, scratch, TestBatch.MaxDecompressed))
            {
                builder.AppendRecord(500 + r.OffsetDelta, r.GetTimestamp(sourceHeader.BaseTimestamp), r);
            }

            builder.Complete();
        }

        byte[] rebuilt = output.ToArray();
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(rebuilt));
        Assert.Equal(CompressionType.Zstd, new RecordBatchHeader(rebuilt).CompressionType);
        var read = TestBatch.Read(rebuilt);
        Assert.Equal(2, read.Count);
        Assert.Equal(500, read[0].Offset);
        Assert.Equal(501, read[1].Offset);
        AssertSameRecord(records[0], read[0].Record);
        AssertSameRecord(records[1], read[1].Record);
    }

    [Fact]
    public void Builder_AppendsAfterExistingBytes_AndMisuseThrows()
    {
        using var output = new PooledBufferWriter();
        output.GetSpan(3)[..3].Fill(0xAB);
        output.Advance(3);
        using var builder = new RecordBatchBuilder(output, CompressionType.None, 10);
        Assert.Throws<InvalidOperationException>(() => builder.Complete());
        builder.Append(1, null, "x"u8.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AppendWithOffset(10, 1, null, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.AppendWithOffset(10L + int.MaxValue + 1, 1, null, null));
        int size = builder.Complete();
        Assert.Equal(3 + size, output.WrittenCount);
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(output.WrittenSpan[3..]));
        Assert.Throws<ObjectDisposedException>(() => builder.Append(2, null, null));
    }

    internal static void AssertSameRecord(TestRecord expected, TestRecord actual)
    {
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Headers.Length, actual.Headers.Length);
        for (int i = 0; i < expected.Headers.Length; i++)
        {
            Assert.Equal(expected.Headers[i].Key, actual.Headers[i].Key);
            Assert.Equal(expected.Headers[i].Value, actual.Headers[i].Value);
        }
    }

    internal static string Describe(CompressionCodec codec) => codec switch
    {
        SnappyCodec { XerialFraming: false } => "snappy-raw",
        Lz4Codec { Level: 1 } => "lz4-fast",
        _ => codec.Type.ToString(),
    };

    internal static CompressionCodec Find(string name)
    {
        foreach (CompressionCodec codec in TestBatch.AllCodecs())
        {
            if (Describe(codec) == name)
            {
                return codec;
            }
        }

        throw new ArgumentException(name);
    }
}
