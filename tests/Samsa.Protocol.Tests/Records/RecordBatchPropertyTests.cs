using CsCheck;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public class RecordBatchPropertyTests
{
    private static readonly Gen<byte[]?> NullableBytes = Gen.Byte.Array[0, 40].Null(0.2);

    private static readonly Gen<TestHeader> HeaderGen =
        Gen.Select(Gen.Byte.Array[0, 10], NullableBytes, (k, v) => new TestHeader(k, v));

    private static readonly Gen<TestRecord> RecordGen = Gen.Select(
        Gen.Long[1, 1000],
        Gen.Long[-1_000_000_000, 1_000_000_000],
        NullableBytes,
        Gen.OneOf(NullableBytes, Gen.Byte.Array[0, 3000].Null(0.1)),
        HeaderGen.Array[0, 4],
        (gap, ts, k, v, h) => new TestRecord(gap, 1_700_000_000_000 + ts, k, v, h));

    private static readonly Gen<CompressionCodec> CodecGen = Gen.OneOf(TestBatch.AllCodecs().ToArray());

    [Fact]
    public void RandomBatches_BuildValidateIterate_RoundTrip()
    {
        Gen.Select(CodecGen, Gen.Long[0, long.MaxValue / 2], RecordGen.Array[1, 30]).Sample((codec, baseOffset, records) =>
        {
            byte[] batch = TestBatch.Build(codec, baseOffset, records);
            Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch));
            var header = new RecordBatchHeader(batch);
            Assert.Equal(codec.Type, header.CompressionType);
            Assert.Equal(records.Length, header.RecordCount);

            var read = TestBatch.Read(batch);
            Assert.Equal(records.Length, read.Count);
            long offset = baseOffset - 1;
            long maxTimestamp = long.MinValue;
            for (int i = 0; i < records.Length; i++)
            {
                offset += records[i].OffsetGap;
                maxTimestamp = Math.Max(maxTimestamp, records[i].Timestamp);
                Assert.Equal(offset, read[i].Offset);
                Assert.Equal(records[i].Timestamp, read[i].Timestamp);
                RecordBatchBuilderTests.AssertSameRecord(records[i], read[i].Record);
            }

            Assert.Equal(offset, header.LastOffset);
            Assert.Equal(records[0].Timestamp, header.BaseTimestamp);
            Assert.Equal(maxTimestamp, header.MaxTimestamp);
        }, iter: 300);
    }

    [Fact]
    public void RandomBatches_AnySingleByteChangeInCrcRegion_FailsValidation()
    {
        Gen.Select(CodecGen, RecordGen.Array[1, 5], Gen.Int, Gen.Byte[1, 255]).Sample((codec, records, position, xor) =>
        {
            byte[] batch = TestBatch.Build(codec, 0, records);
            int index = RecordBatch.AttributesOffset + (int)((uint)position % (uint)(batch.Length - RecordBatch.AttributesOffset));
            batch[index] ^= xor;
            Assert.Equal(RecordBatchStatus.CrcMismatch, RecordBatch.TryValidate(batch));
        }, iter: 300);
    }

    [Fact]
    public void RandomGarbageRecordsSections_NeverThrowFromTryPath()
    {
        Gen.Select(Gen.Byte.Array[0, 200], Gen.Int[0, 20]).Sample((bytes, count) =>
        {
            var records = new RecordEnumerator(bytes, count);
            int guard = 0;
            RecordReadStatus status;
            while ((status = records.TryMoveNext()) == RecordReadStatus.Record)
            {
                foreach (RecordHeader _ in records.Current.Headers)
                {
                }

                Assert.True(++guard <= count);
            }

            Assert.NotEqual(RecordReadStatus.Record, records.TryMoveNext());
        }, iter: 2000);
    }
}
