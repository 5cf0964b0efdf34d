using Samsa.Protocol.Records;

namespace Samsa.Storage.Log;

/// <summary>
/// The CRC-32C check of a large append's batches, run on a thread-pool thread while the appender
/// writes them: the kernel's copy into the page cache and the check both read every byte, so on two
/// cores they overlap instead of running one after the other (64 × 1 MiB: the check alone is about
/// a fifth of the write's time). The appender publishes nothing (log end, indexes, producer state,
/// epochs) until <see cref="Complete"/> says the batches are whole, and cuts bytes that are not off
/// the segment again, so no reader and no recovery ever takes an unchecked batch for a stored one.
/// If no pool thread has taken the check by the time the appender asks, the appender runs it
/// itself: a busy pool costs one queued work item, not a wait.
/// One instance per appending thread, reused: no allocation per append.
/// </summary>
internal sealed class BackgroundCrcCheck : IThreadPoolWorkItem
{
    /// <summary>
    /// Below this the check (≈ 10 µs per 256 KiB) is not worth the hand-off to another thread; the
    /// broker's produce path never gets here at all (it joins the CRCs it took off the socket).
    /// </summary>
    public const int MinBytes = 256 * 1024;

    private const int Pending = 0;
    private const int Running = 1;
    private const int Done = 2;

    [ThreadStatic]
    private static BackgroundCrcCheck? _threadInstance;

    private ReadOnlyMemory<byte> _records;
    private int _state = Done;
    private bool _valid;

    private BackgroundCrcCheck()
    {
    }

    /// <summary>Whether the check has run (by a pool thread or the appender) and its answer is in.</summary>
    internal bool IsDone => Volatile.Read(ref _state) == Done;

    /// <summary>Whether an append of <paramref name="bytes"/> gains from checking beside its write.</summary>
    public static bool Suits(int bytes) => bytes >= MinBytes && Environment.ProcessorCount > 1;

    /// <summary>
    /// Queues the check of <paramref name="records"/>, whole batches whose framing is already
    /// checked (<see cref="RecordBatch.TryValidateFrame"/>). The caller must call
    /// <see cref="Complete"/> before it returns, and must not change a CRC-covered byte meanwhile.
    /// </summary>
    public static BackgroundCrcCheck Start(ReadOnlyMemory<byte> records)
    {
        BackgroundCrcCheck? check = _threadInstance;
        if (check is null || Volatile.Read(ref check._state) != Done)
        {
            // First use on this thread, or an append nested in one whose check is still open.
            check = new BackgroundCrcCheck();
            _threadInstance ??= check;
        }

        check._records = records;
        check._valid = false;

        // Publishes the fields above to whichever thread claims the check (the CAS in TryRun).
        Volatile.Write(ref check._state, Pending);
        ThreadPool.UnsafeQueueUserWorkItem(check, preferLocal: false);
        return check;
    }

    /// <summary>
    /// Whether every batch passed <see cref="RecordBatch.TryValidate(ReadOnlySpan{byte})"/>: waits
    /// for a pool thread that is running the check, or runs it here if none has started. May be
    /// called again; answers the same.
    /// </summary>
    public bool Complete()
    {
        if (!TryRun())
        {
            // A pool thread has it: the wait is at most one CRC pass, too short to block for.
            SpinWait spin = default;
            while (Volatile.Read(ref _state) != Done)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
        }

        _records = default;
        return _valid;
    }

    // A work item left queued by a check the appender ran itself may run during a later check of
    // the same thread's instance: it then claims and runs that one, which is just as correct.
    void IThreadPoolWorkItem.Execute() => TryRun();

    private bool TryRun()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Pending) != Pending)
        {
            return false;
        }

        try
        {
            _valid = AllValid(_records);
        }
        finally
        {
            // Even if the check threw (it cannot, framing is checked first): Complete must not spin forever.
            Volatile.Write(ref _state, Done);
        }

        return true;
    }

    private static bool AllValid(ReadOnlyMemory<byte> records)
    {
        RecordBatchEnumerator batches = RecordBatch.Enumerate(records);
        while (batches.MoveNext())
        {
            if (RecordBatch.TryValidate(batches.Current.Span) != RecordBatchStatus.Valid)
            {
                return false;
            }
        }

        return batches.Status == RecordBatchEnumeratorStatus.Complete;
    }
}
