using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public class RecordBatchGoldenTests
{
    // One record (null key, value "hi", timestamp 1000) at offset 0, no producer, laid out by hand
    // from the v2 format. The CRC was computed independently with a table-driven CRC-32C in Python
    // over bytes 21..69: 0x233DAD44.
    private static readonly byte[] Golden = Convert.FromHexString(
        "0000000000000000" // baseOffset 0
        + "0000003A" // batchLength 58 = 70 - 12
        + "FFFFFFFF" // partitionLeaderEpoch -1
        + "02" // magic
        + "233DAD44" // crc
        + "0000" // attributes: none, CreateTime
        + "00000000" // lastOffsetDelta
        + "00000000000003E8" // baseTimestamp 1000
        + "00000000000003E8" // maxTimestamp 1000
        + "FFFFFFFFFFFFFFFF" // producerId -1
        + "FFFF" // producerEpoch -1
        + "FFFFFFFF" // baseSequence -1
        + "00000001" // recordCount
        + "10" // record length 8 (zigzag)
        + "00" // attributes
        + "00" // timestampDelta 0
        + "00" // offsetDelta 0
        + "01" // key length -1 (null)
        + "04" + "6869" // value length 2, "hi"
        + "00"); // no headers

    [Fact]
    public void Builder_TinyRecord_ProducesHandComputedBytes()
    {
        byte[] built = TestBatch.Build(CompressionCodec.ForType(CompressionType.None), 0, [TestBatch.Simple(null, "hi", 1000)]);
        Assert.Equal(Convert.ToHexString(Golden), Convert.ToHexString(built));
    }

    [Fact]
    public void Golden_ValidatesAndReads()
    {
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(Golden));
        Assert.Equal(0x233DAD44u, RecordBatch.ComputeCrc(Golden));
        var header = new RecordBatchHeader(Golden);
        Assert.Equal(0x233DAD44u, header.Crc);
        Assert.Equal(1, header.RecordCount);

        var records = TestBatch.Read(Golden);
        Assert.Single(records);
        Assert.Null(records[0].Record.Key);
        Assert.Equal("hi"u8.ToArray(), records[0].Record.Value);
        Assert.Equal(1000, records[0].Timestamp);
        Assert.Equal(0, records[0].Offset);
    }
}
