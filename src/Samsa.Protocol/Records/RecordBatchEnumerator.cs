using System.Buffers.Binary;

namespace Samsa.Protocol.Records;

/// <summary>
/// Splits a records blob (Produce request, Fetch response, segment read) into batches using only
/// each batch's length field; CRCs and contents are the caller's business. When it stops,
/// <see cref="Status"/> says why and <see cref="Position"/> where. A plain struct over memory so it
/// can live across awaits in the layers above.
/// </summary>
public struct RecordBatchEnumerator
{
    private readonly ReadOnlyMemory<byte> _records;
    private int _position;
    private ReadOnlyMemory<byte> _current;
    private RecordBatchEnumeratorStatus _status;

    public RecordBatchEnumerator(ReadOnlyMemory<byte> records)
    {
        _records = records;
    }

    /// <summary>The whole of the current batch, header included.</summary>
    public readonly ReadOnlyMemory<byte> Current => _current;

    public readonly RecordBatchEnumeratorStatus Status => _status;

    /// <summary>Bytes of complete batches yielded so far; after a stop, where the incomplete or bad data begins.</summary>
    public readonly int Position => _position;

    public readonly RecordBatchEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_status != RecordBatchEnumeratorStatus.InProgress)
        {
            return false;
        }

        _position += _current.Length;
        _current = default;
        ReadOnlySpan<byte> remaining = _records.Span[_position..];
        if (remaining.IsEmpty)
        {
            _status = RecordBatchEnumeratorStatus.Complete;
            return false;
        }

        if (remaining.Length < RecordBatch.LogOverhead)
        {
            _status = RecordBatchEnumeratorStatus.TruncatedTail;
            return false;
        }

        int batchLength = BinaryPrimitives.ReadInt32BigEndian(remaining[RecordBatch.BatchLengthOffset..]);
        if (batchLength < RecordBatch.HeaderSize - RecordBatch.LogOverhead)
        {
            _status = RecordBatchEnumeratorStatus.InvalidLength;
            return false;
        }

        // long arithmetic: a hostile length near int.MaxValue must not wrap into a small size.
        long size = (long)batchLength + RecordBatch.LogOverhead;
        if (size > remaining.Length)
        {
            _status = RecordBatchEnumeratorStatus.TruncatedTail;
            return false;
        }

        _current = _records.Slice(_position, (int)size);
        return true;
    }
}
