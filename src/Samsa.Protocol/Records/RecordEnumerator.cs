using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Records;

/// <summary>
/// Reads exactly the declared number of records from an uncompressed (or decompressed) records
/// section, then insists nothing is left over, as Kafka does. <see cref="TryMoveNext"/> reports
/// corruption as a value; <see cref="MoveNext"/> (what foreach uses) throws <see cref="ProtocolException"/>.
/// </summary>
public ref struct RecordEnumerator
{
    private readonly int _recordCount;
    private ReadOnlySpan<byte> _remaining;
    private int _read;
    private Record _current;
    private RecordReadStatus _status;

    public RecordEnumerator(ReadOnlySpan<byte> records, int recordCount)
    {
        _remaining = records;
        _recordCount = recordCount;
    }

    public readonly Record Current => _current;

    /// <summary>Records successfully read so far.</summary>
    public readonly int RecordsRead => _read;

    public readonly RecordEnumerator GetEnumerator() => this;

    /// <summary>
    /// Advances to the next record. Returns <see cref="RecordReadStatus.Record"/> with
    /// <see cref="Current"/> set, <see cref="RecordReadStatus.End"/> when done, or the first
    /// failure, which every later call repeats.
    /// </summary>
    public RecordReadStatus TryMoveNext()
    {
        if (_status != RecordReadStatus.Record)
        {
            return _status;
        }

        _current = default;
        if (_read >= _recordCount)
        {
            _status = _remaining.IsEmpty ? RecordReadStatus.End : RecordReadStatus.TrailingBytes;
            return _status;
        }

        RecordReadStatus status = Record.TryRead(_remaining, out _current, out int consumed);
        if (status != RecordReadStatus.Record)
        {
            _status = status;
            return status;
        }

        _remaining = _remaining[consumed..];
        _read++;
        return RecordReadStatus.Record;
    }

    public bool MoveNext()
    {
        RecordReadStatus status = TryMoveNext();
        if (status == RecordReadStatus.Record)
        {
            return true;
        }

        if (status == RecordReadStatus.End)
        {
            return false;
        }

        ProtocolThrow.Invalid($"Corrupt record at index {_read}: {status}.");
        return false;
    }
}
