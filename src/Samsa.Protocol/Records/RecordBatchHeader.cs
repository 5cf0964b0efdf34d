using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Records;

/// <summary>
/// A read-only view of a batch's 61-byte header over borrowed bytes. Fields are decoded on each
/// access, so making one is free; it says nothing about validity (see <see cref="RecordBatch.TryValidate"/>).
/// </summary>
public readonly ref struct RecordBatchHeader
{
    private readonly ReadOnlySpan<byte> _batch;

    /// <summary>Views a batch; throws <see cref="ProtocolException"/> if fewer than 61 bytes are given.</summary>
    public RecordBatchHeader(ReadOnlySpan<byte> batch)
    {
        if (batch.Length < RecordBatch.HeaderSize)
        {
            ProtocolThrow.Truncated(RecordBatch.HeaderSize - batch.Length, batch.Length);
        }

        _batch = batch;
    }

    public static bool TryRead(ReadOnlySpan<byte> batch, out RecordBatchHeader header)
    {
        if (batch.Length < RecordBatch.HeaderSize)
        {
            header = default;
            return false;
        }

        header = new RecordBatchHeader(batch);
        return true;
    }

    public long BaseOffset => BinaryPrimitives.ReadInt64BigEndian(_batch[RecordBatch.BaseOffsetOffset..]);

    /// <summary>Bytes after the length field: total size - 12.</summary>
    public int BatchLength => BinaryPrimitives.ReadInt32BigEndian(_batch[RecordBatch.BatchLengthOffset..]);

    /// <summary>Total bytes of the batch as its header declares them.</summary>
    public long SizeInBytes => (long)BatchLength + RecordBatch.LogOverhead;

    public int PartitionLeaderEpoch => BinaryPrimitives.ReadInt32BigEndian(_batch[RecordBatch.PartitionLeaderEpochOffset..]);

    public byte Magic => _batch[RecordBatch.MagicOffset];

    public uint Crc => BinaryPrimitives.ReadUInt32BigEndian(_batch[RecordBatch.CrcOffset..]);

    public short Attributes => BinaryPrimitives.ReadInt16BigEndian(_batch[RecordBatch.AttributesOffset..]);

    /// <summary>The codec bits; values above <see cref="CompressionType.Zstd"/> mean a corrupt batch.</summary>
    public CompressionType CompressionType => (CompressionType)(Attributes & RecordBatch.CompressionMask);

    public TimestampType TimestampType =>
        (Attributes & RecordBatch.TimestampTypeFlag) != 0 ? TimestampType.LogAppendTime : TimestampType.CreateTime;

    public bool IsTransactional => (Attributes & RecordBatch.TransactionalFlag) != 0;

    public bool IsControlBatch => (Attributes & RecordBatch.ControlFlag) != 0;

    /// <summary>Set by the log cleaner; <see cref="BaseTimestamp"/> then holds the delete horizon.</summary>
    public bool HasDeleteHorizon => (Attributes & RecordBatch.DeleteHorizonFlag) != 0;

    public int LastOffsetDelta => BinaryPrimitives.ReadInt32BigEndian(_batch[RecordBatch.LastOffsetDeltaOffset..]);

    public long LastOffset => BaseOffset + LastOffsetDelta;

    public long BaseTimestamp => BinaryPrimitives.ReadInt64BigEndian(_batch[RecordBatch.BaseTimestampOffset..]);

    public long MaxTimestamp => BinaryPrimitives.ReadInt64BigEndian(_batch[RecordBatch.MaxTimestampOffset..]);

    public long ProducerId => BinaryPrimitives.ReadInt64BigEndian(_batch[RecordBatch.ProducerIdOffset..]);

    public short ProducerEpoch => BinaryPrimitives.ReadInt16BigEndian(_batch[RecordBatch.ProducerEpochOffset..]);

    public int BaseSequence => BinaryPrimitives.ReadInt32BigEndian(_batch[RecordBatch.BaseSequenceOffset..]);

    public int RecordCount => BinaryPrimitives.ReadInt32BigEndian(_batch[RecordBatch.RecordCountOffset..]);

    /// <summary>The (possibly compressed) records section: the bytes after the header that the view was given.</summary>
    public ReadOnlySpan<byte> Records => _batch[RecordBatch.HeaderSize..];
}
