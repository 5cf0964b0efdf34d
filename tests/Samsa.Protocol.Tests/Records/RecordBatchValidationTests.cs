using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Record = Samsa.Protocol.Records.Record;

namespace Samsa.Protocol.Tests.Records;

public class RecordBatchValidationTests
{
    private static byte[] Sample(CompressionCodec? codec = null) => TestBatch.Build(
        codec ?? CompressionCodec.ForType(CompressionType.None),
        0,
        [
            new TestRecord(1, 100, "key"u8.ToArray(), "value"u8.ToArray(), [new TestHeader("h"u8.ToArray(), "hv"u8.ToArray())]),
            new TestRecord(1, 150, null, "second"u8.ToArray(), []),
        ]);

    [Fact]
    public void PatchBaseOffsetAndLeaderEpoch_KeepsCrcValid()
    {
        byte[] batch = Sample();
        uint crc = new RecordBatchHeader(batch).Crc;
        RecordBatch.SetBaseOffset(batch, 1_000_000);
        RecordBatch.SetPartitionLeaderEpoch(batch, 17);

        var header = new RecordBatchHeader(batch);
        Assert.Equal(1_000_000, header.BaseOffset);
        Assert.Equal(17, header.PartitionLeaderEpoch);
        Assert.Equal(crc, header.Crc);
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch));
        Assert.Equal(1_000_001, TestBatch.Read(batch)[1].Offset);
    }

    [Fact]
    public void PatchMaxTimestamp_RecomputesCrc()
    {
        byte[] batch = Sample(Lz4Codec.Default);
        uint crc = new RecordBatchHeader(batch).Crc;
        RecordBatch.SetMaxTimestamp(batch, TimestampType.LogAppendTime, 999_999);

        var header = new RecordBatchHeader(batch);
        Assert.Equal(TimestampType.LogAppendTime, header.TimestampType);
        Assert.Equal(999_999, header.MaxTimestamp);
        Assert.Equal(CompressionType.Lz4, header.CompressionType);
        Assert.NotEqual(crc, header.Crc);
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch));

        RecordBatch.SetMaxTimestamp(batch, TimestampType.CreateTime, 150);
        Assert.Equal(TimestampType.CreateTime, new RecordBatchHeader(batch).TimestampType);
        Assert.Equal(crc, new RecordBatchHeader(batch).Crc);
    }

    [Fact]
    public void FlipEverySingleByteInCrcRegion_FailsValidation()
    {
        byte[] batch = Sample(GzipCodec.Default);
        for (int i = RecordBatch.AttributesOffset; i < batch.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                batch[i] ^= (byte)(1 << bit);
                Assert.Equal(RecordBatchStatus.CrcMismatch, RecordBatch.TryValidate(batch));
                batch[i] ^= (byte)(1 << bit);
            }
        }

        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch));
    }

    [Fact]
    public void CrcField_ItselfCorrupted_FailsValidation()
    {
        byte[] batch = Sample();
        batch[RecordBatch.CrcOffset + 2] ^= 0x40;
        Assert.Equal(RecordBatchStatus.CrcMismatch, RecordBatch.TryValidate(batch));
        Assert.Throws<ProtocolException>(() => RecordBatch.Validate(batch));
    }

    [Fact]
    public void HeaderChecks_ReportTheirOwnStatus()
    {
        byte[] batch = Sample();
        Assert.Equal(RecordBatchStatus.TooSmall, RecordBatch.TryValidate(batch.AsSpan(0, 60)));

        byte[] longer = [.. batch, 0];
        Assert.Equal(RecordBatchStatus.LengthMismatch, RecordBatch.TryValidate(longer));

        byte[] magic = (byte[])batch.Clone();
        magic[RecordBatch.MagicOffset] = 1;
        Assert.Equal(RecordBatchStatus.UnsupportedMagic, RecordBatch.TryValidate(magic));

        byte[] codec = (byte[])batch.Clone();
        codec[RecordBatch.AttributesOffset + 1] |= 0x07;
        Restamp(codec);
        Assert.Equal(RecordBatchStatus.UnknownCompressionType, RecordBatch.TryValidate(codec));

        byte[] count = (byte[])batch.Clone();
        BinaryPrimitives.WriteInt32BigEndian(count.AsSpan(RecordBatch.RecordCountOffset), -1);
        Restamp(count);
        Assert.Equal(RecordBatchStatus.InvalidRecordCount, RecordBatch.TryValidate(count));
    }

    [Fact]
    public void TruncationAtEveryLength_FailsCleanly_ForEveryCodec()
    {
        foreach (CompressionCodec codec in TestBatch.AllCodecs())
        {
            byte[] batch = Sample(codec);
            for (int length = 0; length < batch.Length; length++)
            {
                byte[] cut = batch[..length];
                Assert.NotEqual(RecordBatchStatus.Valid, RecordBatch.TryValidate(cut));
                Assert.Equal(length >= RecordBatch.HeaderSize, RecordBatchHeader.TryRead(cut, out _));

                var batches = RecordBatch.Enumerate(cut);
                Assert.False(batches.MoveNext());
                Assert.Equal(length == 0 ? RecordBatchEnumeratorStatus.Complete : RecordBatchEnumeratorStatus.TruncatedTail, batches.Status);

                if (length >= RecordBatch.HeaderSize)
                {
                    // Records cut short (and, compressed, decoders fed a cut stream) fail as
                    // ProtocolException or a status, never an index or decoder exception.
                    using var scratch = new PooledBufferWriter();
                    try
                    {
                        RecordEnumerator records = RecordBatch.GetRecords(cut, scratch, TestBatch.MaxDecompressed);
                        RecordReadStatus status;
                        while ((status = records.TryMoveNext()) == RecordReadStatus.Record)
                        {
                        }

                        Assert.NotEqual(RecordReadStatus.End, status);
                    }
                    catch (ProtocolException)
                    {
                    }
                }
            }
        }
    }

    [Fact]
    public void RecordsSection_TruncatedAtEveryLength_ReportsFailureStatus()
    {
        byte[] batch = Sample();
        ReadOnlySpan<byte> records = new RecordBatchHeader(batch).Records;
        for (int length = 0; length < records.Length; length++)
        {
            var enumerator = new RecordEnumerator(records[..length], 2);
            RecordReadStatus status;
            while ((status = enumerator.TryMoveNext()) == RecordReadStatus.Record)
            {
            }

            Assert.NotEqual(RecordReadStatus.End, status);
        }
    }

    [Fact]
    public void RecordEnumerator_ExtraBytesOrWrongCount_AreReported()
    {
        byte[] batch = Sample();
        byte[] records = new RecordBatchHeader(batch).Records.ToArray();

        var fewer = new RecordEnumerator(records, 1);
        Assert.Equal(RecordReadStatus.Record, fewer.TryMoveNext());
        Assert.Equal(RecordReadStatus.TrailingBytes, fewer.TryMoveNext());

        var more = new RecordEnumerator(records, 3);
        Assert.Equal(RecordReadStatus.Record, more.TryMoveNext());
        Assert.Equal(RecordReadStatus.Record, more.TryMoveNext());
        Assert.Equal(RecordReadStatus.Truncated, more.TryMoveNext());
        Assert.Equal(RecordReadStatus.Truncated, more.TryMoveNext());

        Assert.Throws<ProtocolException>(() =>
        {
            foreach (Record _ in new RecordEnumerator(records, 3))
            {
            }
        });
    }

    [Fact]
    public void MalformedRecords_MapToStatuses()
    {
        Assert.Equal(RecordReadStatus.MalformedVarint, First([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]));
        Assert.Equal(RecordReadStatus.Truncated, First([0xFF, 0xFF]));
        Assert.Equal(RecordReadStatus.InvalidLength, First([0x01])); // length -1
        Assert.Equal(RecordReadStatus.Truncated, First([0x10, 0x00]));

        // Body of 6: attributes, ts 0, offset 0, key length -2 (invalid), ...
        Assert.Equal(RecordReadStatus.InvalidLength, First([0x0C, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00]));

        // Body of 7 that parses in 6 bytes: a size mismatch.
        Assert.Equal(RecordReadStatus.RecordSizeMismatch, First([0x0E, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00]));

        // A header with a null key is not allowed.
        Assert.Equal(RecordReadStatus.InvalidLength, First([0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01]));

        // Negative header count.
        Assert.Equal(RecordReadStatus.InvalidLength, First([0x0C, 0x00, 0x00, 0x00, 0x01, 0x01, 0x01]));
    }

    private static RecordReadStatus First(byte[] records) => new RecordEnumerator(records, 1).TryMoveNext();

    private static void Restamp(byte[] batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatch.CrcOffset), RecordBatch.ComputeCrc(batch));
}
