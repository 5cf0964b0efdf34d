namespace Samsa.Storage.Log;

/// <summary>
/// Disk faults (docs/reliability.md, "Disk faults"). A full disk fails only the append that hit
/// it: the write is cut back to the last whole batch and the log stays online, so appends succeed
/// again once space is back. Any other I/O error (EIO, a failed fsync, a file that cannot be opened
/// or read) takes the log offline for good, as Kafka takes the log dir offline: appends answer
/// <see cref="LogAppendStatus.Offline"/> and reads <see cref="LogReadStatus.StorageError"/> until
/// the broker reopens the log at its next start (which recovers it, or leaves it offline).
/// </summary>
public sealed partial class PartitionLog
{
    private string? _offlineReason;

    // The log dir's count of offline logs (LogDirectory.AnyOffline): 0 not counted, 1 counted,
    // 2 removed from the log dir (never counted again). One word, so a log going offline while it
    // is being removed is counted and uncounted exactly once whichever comes first.
    private int _offlineTally;

    /// <summary>True once an I/O error other than a full disk hit this log.</summary>
    public bool IsOffline => Volatile.Read(ref _offlineReason) is not null;

    /// <summary>What took the log offline (the operation and the OS's message); null while online.</summary>
    public string? OfflineReason => Volatile.Read(ref _offlineReason);

    /// <summary>
    /// Raised once, on the thread that hit the error (possibly under the log's locks: handlers
    /// must only record and log).
    /// </summary>
    public event Action<PartitionLog>? WentOffline;

    /// <summary>
    /// As <see cref="ReadUnchecked"/>, but an offline log answers
    /// <see cref="LogReadStatus.StorageError"/>, and a read that fails with an I/O error takes the log
    /// offline and answers the same, instead of throwing into the request.
    /// </summary>
    public LogReadInfo Read(long startOffset, int maxBytes, long maxOffset, bool minOneBatch)
    {
        if (IsOffline)
        {
            return new LogReadInfo(LogReadStatus.StorageError, null, 0, 0, -1, LogStartOffset, LogEndOffset);
        }

        try
        {
            return ReadUnchecked(startOffset, maxBytes, maxOffset, minOneBatch);
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            TakeOffline("read failed", e);
            return new LogReadInfo(LogReadStatus.StorageError, null, 0, 0, -1, LogStartOffset, LogEndOffset);
        }
    }

    /// <summary>Claims this log's place in its log dir's offline count: true once, and never after <see cref="UncountOnRemoval"/>.</summary>
    internal bool TryCountOffline() => Interlocked.CompareExchange(ref _offlineTally, 1, 0) == 0;

    /// <summary>Takes the log out of its log dir's accounting; true when it had been counted offline.</summary>
    internal bool UncountOnRemoval() => Interlocked.Exchange(ref _offlineTally, 2) == 1;

    /// <summary>
    /// Copies the range a <see cref="Read"/> of this log found (<see cref="LogReadInfo.CopyTo"/>).
    /// The copy reads the file again after the read's header scan, so it can hit an I/O error of
    /// its own: that takes the log offline as a failed <see cref="Read"/> does and answers -1
    /// instead of throwing into the request.
    /// </summary>
    public int CopyRead(in LogReadInfo read, Span<byte> destination)
    {
        try
        {
            return read.CopyTo(destination);
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            TakeOffline("read failed", e);
            return -1;
        }
    }

    /// <summary>
    /// A read of this log's files outside the log (a fetch sending a range with <c>sendfile</c>)
    /// failed with <paramref name="cause"/>: the log goes offline as a failed <see cref="Read"/> takes it.
    /// </summary>
    public void ReportReadFailure(Exception cause) => _ = TakeOffline("read failed", cause);

    /// <summary>Whether <paramref name="e"/> is a failure of the file system rather than a bug.</summary>
    internal static bool IsIoFailure(Exception e) => e is IOException or UnauthorizedAccessException or StorageException;

    /// <summary>
    /// Marks the log offline (the first reason wins) and returns the exception to throw where the
    /// caller cannot answer with a status.
    /// </summary>
    internal StorageException TakeOffline(string operation, Exception cause)
    {
        string reason = $"{operation}: {cause.Message}";
        if (Interlocked.CompareExchange(ref _offlineReason, reason, null) is null)
        {
            WentOffline?.Invoke(this);
        }

        return new StorageException($"Partition {TopicPartition} is offline: {OfflineReason}", cause);
    }

    /// <summary>
    /// The answer to an append whose write, roll or epoch checkpoint failed with
    /// <paramref name="e"/>: a full disk leaves the log online (nothing of the append is in it),
    /// anything else takes it offline. Under _lock.
    /// </summary>
    private LogAppendInfo AppendFailed(Exception e)
    {
        if (!OutOfSpace.IsCause(e))
        {
            TakeOffline("append failed", e);
            return LogAppendInfo.Failed(LogAppendStatus.Offline, _logStartOffset);
        }

        return LogAppendInfo.Failed(LogAppendStatus.OutOfSpace, _logStartOffset);
    }
}
