using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Records;

/// <summary>
/// A transaction's COMMIT or ABORT marker: the single record of a control batch the partition
/// leader appends on WriteTxnMarkers. Key = int16 version 0 + int16 type; value = int16 version 0 +
/// int32 coordinator epoch. read_committed consumers and the producer-state tracker act on it.
/// </summary>
public readonly record struct EndTransactionMarker
{
    /// <summary>Bytes of the version-0 value (version + coordinator epoch).</summary>
    public const int ValueSize = 6;

    public const short CurrentValueVersion = 0;

    public EndTransactionMarker(ControlRecordType type, int coordinatorEpoch)
    {
        if (type is not (ControlRecordType.Abort or ControlRecordType.Commit))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "A transaction marker is ABORT or COMMIT.");
        }

        Type = type;
        CoordinatorEpoch = coordinatorEpoch;
    }

    public ControlRecordType Type { get; }

    public int CoordinatorEpoch { get; }

    /// <summary>
    /// Reads a marker from a control record's key and value. False unless the key is a valid
    /// ABORT/COMMIT key and the value holds a non-negative version and an epoch; newer value
    /// versions are read by their version-0 prefix, as Kafka does.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, out EndTransactionMarker marker)
    {
        marker = default;
        if (!ControlRecord.TryReadType(key, out ControlRecordType type)
            || type is not (ControlRecordType.Abort or ControlRecordType.Commit)
            || value.Length < ValueSize
            || BinaryPrimitives.ReadInt16BigEndian(value) < 0)
        {
            return false;
        }

        marker = new EndTransactionMarker(type, BinaryPrimitives.ReadInt32BigEndian(value[2..]));
        return true;
    }

    /// <summary>
    /// Appends the marker's control batch (transactional + control, one uncompressed record,
    /// base sequence -1) to <paramref name="destination"/> and returns its size.
    /// </summary>
    public int WriteBatch(
        PooledBufferWriter destination,
        long baseOffset,
        long timestamp,
        long producerId,
        short producerEpoch,
        int partitionLeaderEpoch)
    {
        Span<byte> key = stackalloc byte[ControlRecord.KeySize];
        ControlRecord.WriteKey(key, Type);
        Span<byte> value = stackalloc byte[ValueSize];
        BinaryPrimitives.WriteInt16BigEndian(value, CurrentValueVersion);
        BinaryPrimitives.WriteInt32BigEndian(value[2..], CoordinatorEpoch);

        using var builder = new RecordBatchBuilder(destination, CompressionType.None, baseOffset)
        {
            PartitionLeaderEpoch = partitionLeaderEpoch,
            ProducerId = producerId,
            ProducerEpoch = producerEpoch,
            BaseSequence = -1,
            IsTransactional = true,
            IsControlBatch = true,
        };
        builder.AppendWithOffset(baseOffset, timestamp, key, isKeyNull: false, value, isValueNull: false);
        return builder.Complete();
    }
}
