namespace Samsa.Storage.Log;

/// <summary>
/// What an append did: the offsets it assigned (first and last; -1 when nothing was appended), the
/// largest timestamp and the offset holding it (batch granularity), the records appended, the
/// broker time stamped for LogAppendTime topics (-1 otherwise), and the log start offset after it.
/// </summary>
public readonly record struct LogAppendInfo(
    LogAppendStatus Status,
    long FirstOffset,
    long LastOffset,
    long MaxTimestamp,
    long OffsetOfMaxTimestamp,
    int RecordCount,
    long LogAppendTime,
    long LogStartOffset)
{
    internal static LogAppendInfo Failed(LogAppendStatus status, long logStartOffset) =>
        new(status, -1, -1, -1, -1, 0, -1, logStartOffset);
}
