namespace Samsa.Storage.Log;

/// <summary>Outcome of a read; the broker maps each to a Kafka error code.</summary>
public enum LogReadStatus
{
    Success = 0,

    /// <summary>The start offset is below the log start or above the log end: OFFSET_OUT_OF_RANGE.</summary>
    OffsetOutOfRange,

    /// <summary>Stored data did not parse where the index pointed: KAFKA_STORAGE_ERROR.</summary>
    StorageError,

    /// <summary>The log is closed or deleted.</summary>
    LogClosed,
}
