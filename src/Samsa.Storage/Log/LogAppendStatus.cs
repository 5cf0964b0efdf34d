namespace Samsa.Storage.Log;

/// <summary>Outcome of an append; the broker maps each to a Kafka error code.</summary>
public enum LogAppendStatus
{
    Success = 0,

    /// <summary>A batch fails the structure check (size, magic, CRC, offsets): CORRUPT_MESSAGE.</summary>
    CorruptMessage,

    /// <summary>A batch is larger than max.message.bytes: MESSAGE_TOO_LARGE.</summary>
    MessageTooLarge,

    /// <summary>The whole append is larger than segment.bytes: RECORD_LIST_TOO_LARGE.</summary>
    RecordListTooLarge,

    /// <summary>A follower append that does not start at or after the log end, or whose offsets do not grow.</summary>
    OffsetOutOfOrder,

    /// <summary>The log is closed or deleted.</summary>
    LogClosed,
}
