namespace Samsa.Protocol.Records;

/// <summary>
/// Walks a record's headers. The record parser already checked every header, so this walk cannot
/// fail; it simply stops if the bytes ever disagree.
/// </summary>
public ref struct RecordHeaderEnumerator
{
    private ReadOnlySpan<byte> _remaining;
    private int _left;
    private RecordHeader _current;

    internal RecordHeaderEnumerator(ReadOnlySpan<byte> headers, int count)
    {
        _remaining = headers;
        _left = count;
    }

    public readonly RecordHeader Current => _current;

    public readonly RecordHeaderEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_left <= 0 || !Record.TryReadHeader(_remaining, out _current, out int consumed))
        {
            _left = 0;
            return false;
        }

        _remaining = _remaining[consumed..];
        _left--;
        return true;
    }
}
