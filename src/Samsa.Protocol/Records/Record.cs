using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Records;

/// <summary>
/// One record of a batch as borrowed bytes; valid while the records section it came from is.
/// Offsets and timestamps are deltas against the batch header, as on the wire.
/// </summary>
public readonly ref struct Record
{
    private readonly ReadOnlySpan<byte> _headers;

    private Record(
        int sizeInBytes,
        byte attributes,
        long timestampDelta,
        int offsetDelta,
        ReadOnlySpan<byte> key,
        bool isKeyNull,
        ReadOnlySpan<byte> value,
        bool isValueNull,
        ReadOnlySpan<byte> headers,
        int headerCount)
    {
        SizeInBytes = sizeInBytes;
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Key = key;
        IsKeyNull = isKeyNull;
        Value = value;
        IsValueNull = isValueNull;
        _headers = headers;
        HeaderCount = headerCount;
    }

    /// <summary>Encoded size including the length prefix.</summary>
    public int SizeInBytes { get; }

    /// <summary>Unused by Kafka (always 0); kept so rebuilt records can carry it.</summary>
    public byte Attributes { get; }

    public long TimestampDelta { get; }

    public int OffsetDelta { get; }

    /// <summary>Key bytes; empty when <see cref="IsKeyNull"/>.</summary>
    public ReadOnlySpan<byte> Key { get; }

    public bool IsKeyNull { get; }

    /// <summary>Value bytes; empty when <see cref="IsValueNull"/> (a tombstone).</summary>
    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }

    public int HeaderCount { get; }

    public RecordHeaderEnumerator Headers => new(_headers, HeaderCount);

    /// <summary>The encoded headers, which a rebuilt batch copies as they are.</summary>
    internal ReadOnlySpan<byte> RawHeaders => _headers;

    public long GetOffset(long baseOffset) => baseOffset + OffsetDelta;

    public long GetTimestamp(long baseTimestamp) => baseTimestamp + TimestampDelta;

    /// <summary>
    /// Parses the record at the start of <paramref name="data"/>, checking every field (headers
    /// included) against the record's declared size, so views handed out later cannot fail.
    /// </summary>
    internal static RecordReadStatus TryRead(ReadOnlySpan<byte> data, out Record record, out int consumed)
    {
        record = default;
        consumed = 0;
        if (!Varint.TryReadSigned(data, out int bodyLength, out int prefix))
        {
            return data.Length < Varint.MaxLength32 ? RecordReadStatus.Truncated : RecordReadStatus.MalformedVarint;
        }

        if (bodyLength < 0)
        {
            return RecordReadStatus.InvalidLength;
        }

        if (bodyLength > data.Length - prefix)
        {
            return RecordReadStatus.Truncated;
        }

        ReadOnlySpan<byte> body = data.Slice(prefix, bodyLength);
        if (body.IsEmpty)
        {
            return RecordReadStatus.RecordSizeMismatch;
        }

        byte attributes = body[0];
        int pos = 1;
        if (!Varint.TryReadSigned(body[pos..], out long timestampDelta, out int n))
        {
            return VarintFailure(body[pos..], Varint.MaxLength64);
        }

        pos += n;
        if (!Varint.TryReadSigned(body[pos..], out int offsetDelta, out n))
        {
            return VarintFailure(body[pos..], Varint.MaxLength32);
        }

        pos += n;
        RecordReadStatus status = TryReadNullableBytes(body, ref pos, out ReadOnlySpan<byte> key, out bool isKeyNull);
        if (status != RecordReadStatus.Record)
        {
            return status;
        }

        status = TryReadNullableBytes(body, ref pos, out ReadOnlySpan<byte> value, out bool isValueNull);
        if (status != RecordReadStatus.Record)
        {
            return status;
        }

        if (!Varint.TryReadSigned(body[pos..], out int headerCount, out n))
        {
            return VarintFailure(body[pos..], Varint.MaxLength32);
        }

        pos += n;
        if (headerCount < 0)
        {
            return RecordReadStatus.InvalidLength;
        }

        // Each header needs at least two bytes, so this loop is bounded by the body, not the count.
        int headersStart = pos;
        for (int i = 0; i < headerCount; i++)
        {
            status = TryReadHeaderChecked(body[pos..], out int headerSize);
            if (status != RecordReadStatus.Record)
            {
                return status;
            }

            pos += headerSize;
        }

        if (pos != body.Length)
        {
            return RecordReadStatus.RecordSizeMismatch;
        }

        record = new Record(
            prefix + bodyLength,
            attributes,
            timestampDelta,
            offsetDelta,
            key,
            isKeyNull,
            value,
            isValueNull,
            body[headersStart..],
            headerCount);
        consumed = prefix + bodyLength;
        return RecordReadStatus.Record;
    }

    /// <summary>Reads one already-validated header for <see cref="RecordHeaderEnumerator"/>.</summary>
    internal static bool TryReadHeader(ReadOnlySpan<byte> data, out RecordHeader header, out int consumed)
    {
        header = default;
        consumed = 0;
        if (TryReadHeaderChecked(data, out int size) != RecordReadStatus.Record)
        {
            return false;
        }

        Varint.TryReadSigned(data, out int keyLength, out int n);
        ReadOnlySpan<byte> key = data.Slice(n, keyLength);
        int pos = n + keyLength;
        Varint.TryReadSigned(data[pos..], out int valueLength, out n);
        pos += n;
        header = valueLength < 0
            ? new RecordHeader(key, default, isValueNull: true)
            : new RecordHeader(key, data.Slice(pos, valueLength), isValueNull: false);
        consumed = size;
        return true;
    }

    private static RecordReadStatus TryReadHeaderChecked(ReadOnlySpan<byte> data, out int size)
    {
        size = 0;
        if (!Varint.TryReadSigned(data, out int keyLength, out int n))
        {
            return VarintFailure(data, Varint.MaxLength32);
        }

        // Header keys are Strings in Kafka and may not be null.
        if (keyLength < 0 || keyLength > data.Length - n)
        {
            return RecordReadStatus.InvalidLength;
        }

        int pos = n + keyLength;
        RecordReadStatus status = TryReadNullableBytes(data, ref pos, out _, out _);
        if (status == RecordReadStatus.Record)
        {
            size = pos;
        }

        return status;
    }

    private static RecordReadStatus TryReadNullableBytes(ReadOnlySpan<byte> body, scoped ref int pos, out ReadOnlySpan<byte> bytes, out bool isNull)
    {
        bytes = default;
        isNull = false;
        if (!Varint.TryReadSigned(body[pos..], out int length, out int n))
        {
            return VarintFailure(body[pos..], Varint.MaxLength32);
        }

        pos += n;
        if (length == -1)
        {
            isNull = true;
            return RecordReadStatus.Record;
        }

        if (length < 0 || length > body.Length - pos)
        {
            return RecordReadStatus.InvalidLength;
        }

        bytes = body.Slice(pos, length);
        pos += length;
        return RecordReadStatus.Record;
    }

    // Varint.TryRead fails either because the bytes ran out (the field runs past the record) or
    // because the encoding is too long; only the second is a malformed varint.
    private static RecordReadStatus VarintFailure(ReadOnlySpan<byte> data, int maxLength) =>
        data.Length < maxLength ? RecordReadStatus.InvalidLength : RecordReadStatus.MalformedVarint;
}
