namespace Samsa.Protocol.Records;

/// <summary>Outcome of <see cref="RecordBatch.TryValidate"/>; everything but <see cref="Valid"/> maps to CORRUPT_MESSAGE.</summary>
public enum RecordBatchStatus
{
    Valid = 0,

    /// <summary>Fewer than the 61 header bytes.</summary>
    TooSmall,

    /// <summary>batchLength + 12 differs from the bytes given.</summary>
    LengthMismatch,

    /// <summary>Magic other than 2 (Kafka 4 no longer writes 0/1, and we never accept them).</summary>
    UnsupportedMagic,

    /// <summary>The stored CRC-32C does not match bytes 21 to the end.</summary>
    CrcMismatch,

    /// <summary>Compression bits name codec 5, 6 or 7.</summary>
    UnknownCompressionType,

    /// <summary>Negative record count.</summary>
    InvalidRecordCount,
}
