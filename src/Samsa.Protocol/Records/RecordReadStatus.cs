namespace Samsa.Protocol.Records;

/// <summary>Outcome of <see cref="RecordEnumerator.TryMoveNext"/>; every failure maps to CORRUPT_MESSAGE.</summary>
public enum RecordReadStatus
{
    /// <summary><see cref="RecordEnumerator.Current"/> holds the next record.</summary>
    Record = 0,

    /// <summary>All declared records were read and no bytes are left.</summary>
    End,

    /// <summary>The data ended before the declared record count, or inside a record.</summary>
    Truncated,

    /// <summary>A varint longer than its type allows.</summary>
    MalformedVarint,

    /// <summary>A negative size or count (other than -1 for a null key or value), or a field running past its record.</summary>
    InvalidLength,

    /// <summary>A record's fields ended before its declared size.</summary>
    RecordSizeMismatch,

    /// <summary>Bytes remain after the declared number of records.</summary>
    TrailingBytes,
}
