using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Record = Samsa.Protocol.Records.Record;

namespace Samsa.Protocol.Tests.Records;

public class EndTransactionMarkerTests
{
    [Theory]
    [InlineData(ControlRecordType.Commit)]
    [InlineData(ControlRecordType.Abort)]
    public void WriteBatch_ProducesControlBatch_ThatReadsBack(ControlRecordType type)
    {
        using var output = new PooledBufferWriter();
        int size = new EndTransactionMarker(type, 12).WriteBatch(output, 500, 1_000, 9001, 4, 7);
        byte[] batch = output.ToArray();
        Assert.Equal(batch.Length, size);
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch));

        var header = new RecordBatchHeader(batch);
        Assert.True(header.IsControlBatch);
        Assert.True(header.IsTransactional);
        Assert.Equal(500, header.BaseOffset);
        Assert.Equal(9001, header.ProducerId);
        Assert.Equal(4, header.ProducerEpoch);
        Assert.Equal(-1, header.BaseSequence);
        Assert.Equal(7, header.PartitionLeaderEpoch);
        Assert.Equal(1, header.RecordCount);

        var records = new RecordEnumerator(header.Records, header.RecordCount);
        Assert.True(records.MoveNext());
        Record record = records.Current;
        Assert.Equal(new byte[] { 0, 0, 0, (byte)type }, record.Key.ToArray());
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 12 }, record.Value.ToArray());
        Assert.True(ControlRecord.TryReadType(record.Key, out ControlRecordType readType));
        Assert.Equal(type, readType);
        Assert.True(EndTransactionMarker.TryRead(record.Key, record.Value, out EndTransactionMarker marker));
        Assert.Equal(new EndTransactionMarker(type, 12), marker);
        Assert.False(records.MoveNext());
    }

    [Fact]
    public void ControlKeys_UnknownShortOrNegativeVersion()
    {
        Assert.True(ControlRecord.TryReadType([0, 0, 0, 9], out ControlRecordType unknown));
        Assert.Equal(ControlRecordType.Unknown, unknown);
        Assert.True(ControlRecord.TryReadType([0, 1, 0, 1], out ControlRecordType newerVersion));
        Assert.Equal(ControlRecordType.Commit, newerVersion);
        Assert.False(ControlRecord.TryReadType([0, 0, 0], out _));
        Assert.False(ControlRecord.TryReadType([0xFF, 0xFF, 0, 1], out _));

        Assert.False(EndTransactionMarker.TryRead([0, 0, 0, 2], [0, 0, 0, 0, 0, 1], out _));
        Assert.False(EndTransactionMarker.TryRead([0, 0, 0, 1], [0, 0, 0, 0, 0], out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EndTransactionMarker(ControlRecordType.LeaderChange, 0));
    }
}
