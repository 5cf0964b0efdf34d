using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Records;

/// <summary>
/// Writes one magic-2 batch at the end of a caller-owned <see cref="PooledBufferWriter"/>: header
/// space is reserved at construction, records follow (uncompressed straight into the destination,
/// compressed through a pooled scratch buffer), and <see cref="Complete"/> fills in the header and
/// CRC. Used by the leader when it must rebuild a batch (recompression, control markers) and by
/// tests; one builder per batch, on one thread. Until Complete returns, the destination's tail is
/// a half-written batch the caller must not send.
/// </summary>
public sealed class RecordBatchBuilder : IDisposable
{
    private readonly PooledBufferWriter _destination;
    private readonly CompressionCodec _codec;
    private readonly int _batchStart;
    private readonly long _baseOffset;
    private PooledBufferWriter? _uncompressed;
    private long _lastOffset;
    private long _baseTimestamp;
    private long _maxTimestamp;
    private int _count;
    private bool _completed;

    public RecordBatchBuilder(PooledBufferWriter destination, CompressionType compression, long baseOffset)
        : this(destination, CompressionCodec.ForType(compression), baseOffset)
    {
    }

    /// <summary>Builds with a configured codec (a compression level, raw snappy).</summary>
    public RecordBatchBuilder(PooledBufferWriter destination, CompressionCodec codec, long baseOffset)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(codec);
        _destination = destination;
        _codec = codec;
        _baseOffset = baseOffset;
        _lastOffset = baseOffset - 1;
        _batchStart = destination.WrittenCount;
        destination.GetSpan(RecordBatch.HeaderSize)[..RecordBatch.HeaderSize].Clear();
        destination.Advance(RecordBatch.HeaderSize);
        if (codec.Type != CompressionType.None)
        {
            _uncompressed = new PooledBufferWriter();
        }
    }

    /// <summary>-1 from producers; the leader stamps its epoch.</summary>
    public int PartitionLeaderEpoch { get; set; } = -1;

    public long ProducerId { get; set; } = -1;

    public short ProducerEpoch { get; set; } = -1;

    public int BaseSequence { get; set; } = -1;

    public bool IsTransactional { get; set; }

    public TimestampType TimestampType { get; set; } = TimestampType.CreateTime;

    /// <summary>The batch's max timestamp when <see cref="TimestampType"/> is LogAppendTime.</summary>
    public long LogAppendTime { get; set; } = -1;

    /// <summary>Control batches are written only by the leader (transaction markers); clients may not.</summary>
    internal bool IsControlBatch { get; set; }

    public int RecordCount => _count;

    /// <summary>Appends a record at the offset after the last one; a null key or value is written as length -1.</summary>
    public long Append(long timestamp, byte[]? key, byte[]? value, ReadOnlySpan<RecordHeaderEntry> headers = default) =>
        AppendWithOffset(_lastOffset + 1, timestamp, key, value, headers);

    /// <summary>
    /// Appends a record at an explicit offset, which must be above the previous one and within
    /// int32 of the base offset; compaction keeps the original offsets this way, leaving gaps.
    /// </summary>
    public long AppendWithOffset(long offset, long timestamp, byte[]? key, byte[]? value, ReadOnlySpan<RecordHeaderEntry> headers = default) =>
        AppendWithOffset(offset, timestamp, key, key is null, value, value is null, headers);

    /// <summary>
    /// Appends from borrowed bytes. Nullness is explicit because a span cannot be null (and a
    /// nullable memory would silently turn a null array into an empty, non-null value).
    /// </summary>
    public long AppendWithOffset(
        long offset,
        long timestamp,
        ReadOnlySpan<byte> key,
        bool isKeyNull,
        ReadOnlySpan<byte> value,
        bool isValueNull,
        ReadOnlySpan<RecordHeaderEntry> headers = default)
    {
        int offsetDelta = BeginRecord(offset, timestamp);
        WriteRecord(
            _uncompressed ?? _destination,
            offsetDelta,
            timestamp - _baseTimestamp,
            key,
            isKeyNull,
            value,
            isValueNull,
            headers,
            rawHeaders: default,
            rawHeaderCount: 0);
        EndRecord(offset);
        return offset;
    }

    /// <summary>
    /// Copies a record read from another batch (recompression, compaction) at a new offset and
    /// absolute timestamp; its headers are copied as encoded, without decoding them.
    /// </summary>
    public long AppendRecord(long offset, long timestamp, Record record)
    {
        int offsetDelta = BeginRecord(offset, timestamp);
        WriteRecord(
            _uncompressed ?? _destination,
            offsetDelta,
            timestamp - _baseTimestamp,
            record.Key,
            record.IsKeyNull,
            record.Value,
            record.IsValueNull,
            default,
            record.RawHeaders,
            record.HeaderCount);
        EndRecord(offset);
        return offset;
    }

    private int BeginRecord(long offset, long timestamp)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(offset, _lastOffset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset - _baseOffset, int.MaxValue, nameof(offset));
        if (_count == 0)
        {
            _baseTimestamp = timestamp;
            _maxTimestamp = timestamp;
        }
        else if (timestamp > _maxTimestamp)
        {
            _maxTimestamp = timestamp;
        }

        return (int)(offset - _baseOffset);
    }

    private void EndRecord(long offset)
    {
        _lastOffset = offset;
        _count++;
    }

    /// <summary>
    /// Compresses the records if needed, writes the header and CRC, and returns the batch's size.
    /// A batch needs at least one record.
    /// </summary>
    public int Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_count == 0)
        {
            throw new InvalidOperationException("A record batch needs at least one record.");
        }

        if (_uncompressed is not null)
        {
            _codec.Compress(_uncompressed.WrittenSpan, _destination);
        }

        int size = _destination.WrittenCount - _batchStart;
        Span<byte> batch = _destination.WrittenSpanForPatch.Slice(_batchStart, size);
        int attributes = (int)_codec.Type;
        if (TimestampType == TimestampType.LogAppendTime)
        {
            attributes |= RecordBatch.TimestampTypeFlag;
        }

        if (IsTransactional)
        {
            attributes |= RecordBatch.TransactionalFlag;
        }

        if (IsControlBatch)
        {
            attributes |= RecordBatch.ControlFlag;
        }

        long maxTimestamp = TimestampType == TimestampType.LogAppendTime ? LogAppendTime : _maxTimestamp;
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.BaseOffsetOffset..], _baseOffset);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.BatchLengthOffset..], size - RecordBatch.LogOverhead);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.PartitionLeaderEpochOffset..], PartitionLeaderEpoch);
        batch[RecordBatch.MagicOffset] = RecordBatch.CurrentMagic;
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatch.AttributesOffset..], (short)attributes);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.LastOffsetDeltaOffset..], (int)(_lastOffset - _baseOffset));
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.BaseTimestampOffset..], _baseTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.MaxTimestampOffset..], maxTimestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch[RecordBatch.ProducerIdOffset..], ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(batch[RecordBatch.ProducerEpochOffset..], ProducerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.BaseSequenceOffset..], BaseSequence);
        BinaryPrimitives.WriteInt32BigEndian(batch[RecordBatch.RecordCountOffset..], _count);
        BinaryPrimitives.WriteUInt32BigEndian(batch[RecordBatch.CrcOffset..], Crc32C.Compute(batch[RecordBatch.AttributesOffset..]));
        _completed = true;
        ReleaseScratch();
        return size;
    }

    public void Dispose()
    {
        _completed = true;
        ReleaseScratch();
    }

    private void ReleaseScratch()
    {
        _uncompressed?.Dispose();
        _uncompressed = null;
    }

    private static void WriteRecord(
        PooledBufferWriter output,
        int offsetDelta,
        long timestampDelta,
        ReadOnlySpan<byte> key,
        bool isKeyNull,
        ReadOnlySpan<byte> value,
        bool isValueNull,
        ReadOnlySpan<RecordHeaderEntry> headers,
        ReadOnlySpan<byte> rawHeaders,
        int rawHeaderCount)
    {
        // Headers come either as entries or, when copying a record, already encoded.
        int headerCount = headers.IsEmpty ? rawHeaderCount : headers.Length;

        // The length prefix is a varint of the body size, so the size is computed before writing;
        // checked arithmetic turns an impossible (> 2 GiB) record into an exception, not a wrap.
        int bodySize = checked(
            1
            + Varint.SizeOfSigned(timestampDelta)
            + Varint.SizeOfSigned(offsetDelta)
            + SizeOfNullableBytes(key, isKeyNull)
            + SizeOfNullableBytes(value, isValueNull)
            + Varint.SizeOfSigned(headerCount)
            + rawHeaders.Length);
        foreach (ref readonly RecordHeaderEntry header in headers)
        {
            bodySize = checked(
                bodySize
                + Varint.SizeOfSigned(header.Key.Length)
                + header.Key.Length
                + SizeOfNullableBytes(header.Value, header.Value is null));
        }

        int total = checked(Varint.SizeOfSigned(bodySize) + bodySize);
        Span<byte> span = output.GetSpan(total);
        int pos = Varint.WriteSigned(span, bodySize);
        span[pos++] = 0; // record attributes: unused by every Kafka version
        pos += Varint.WriteSigned(span[pos..], timestampDelta);
        pos += Varint.WriteSigned(span[pos..], offsetDelta);
        pos += WriteNullableBytes(span[pos..], key, isKeyNull);
        pos += WriteNullableBytes(span[pos..], value, isValueNull);
        pos += Varint.WriteSigned(span[pos..], headerCount);
        foreach (ref readonly RecordHeaderEntry header in headers)
        {
            pos += Varint.WriteSigned(span[pos..], header.Key.Length);
            header.Key.CopyTo(span[pos..]);
            pos += header.Key.Length;
            pos += WriteNullableBytes(span[pos..], header.Value, header.Value is null);
        }

        rawHeaders.CopyTo(span[pos..]);
        pos += rawHeaders.Length;
        output.Advance(pos);
    }

    private static int SizeOfNullableBytes(ReadOnlySpan<byte> bytes, bool isNull) =>
        isNull ? Varint.SizeOfSigned(-1) : checked(Varint.SizeOfSigned(bytes.Length) + bytes.Length);

    private static int WriteNullableBytes(Span<byte> destination, ReadOnlySpan<byte> bytes, bool isNull)
    {
        if (isNull)
        {
            return Varint.WriteSigned(destination, -1);
        }

        int n = Varint.WriteSigned(destination, bytes.Length);
        bytes.CopyTo(destination[n..]);
        return n + bytes.Length;
    }
}
