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

    /// <summary>
    /// A retry of one of the producer's last five batches: nothing was appended, and the offsets
    /// (and timestamp) in the result are the original batch's. The broker answers it as a success.
    /// </summary>
    DuplicateSequence,

    /// <summary>An idempotent batch whose sequence does not follow the producer's last one: OUT_OF_ORDER_SEQUENCE_NUMBER.</summary>
    OutOfOrderSequence,

    /// <summary>An idempotent batch with an epoch older than the producer's current one: INVALID_PRODUCER_EPOCH.</summary>
    InvalidProducerEpoch,

    /// <summary>
    /// The file system is full: nothing of this append stays in the log (a partial write is cut
    /// off) and the log stays online, so a retry succeeds once space is back: KAFKA_STORAGE_ERROR.
    /// </summary>
    OutOfSpace,

    /// <summary>
    /// The log is offline after an I/O error other than a full disk (this append's or an earlier
    /// one's); it takes no appends until the broker reopens it: KAFKA_STORAGE_ERROR.
    /// </summary>
    Offline,
}
