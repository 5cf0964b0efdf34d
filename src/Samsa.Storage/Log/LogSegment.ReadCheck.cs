namespace Samsa.Storage.Log;

/// <summary>
/// Batches a segment held when it was opened, which neither this process appended nor recovery
/// read (a sealed segment of an earlier run; the active one after a clean shutdown), are checked
/// (length, magic, CRC-32C) before a read serves them, so a bit that flipped on disk is reported
/// and the log taken offline instead of being sent to a consumer or follower. What appends and the
/// cleaner wrote is trusted (appends checked every batch), and so is what recovery read.
/// One checked range per segment remembers what reads have checked: a reader that goes on where
/// the range ends extends it, so a consumer or follower reading in order pays one pread and one
/// CRC per batch, once; reads elsewhere check their own batches each time. docs/storage.md,
/// "Corruption: what is checked, and when".
/// </summary>
internal sealed partial class LogSegment
{
    // Positions below _uncheckedEnd were in the file when it was opened (0 for a segment this
    // process wrote); only ever lowered, by recovery and truncation. _checked packs the checked
    // range [from, to) of batch boundaries as from << 32 | to, replaced or extended by CAS.
    private int _uncheckedEnd;
    private long _checked;

    /// <summary>
    /// Checks the batches in [<paramref name="start"/>, <paramref name="end"/>) (batch boundaries of
    /// a read) that nothing has checked yet. Throws <see cref="StorageException"/> naming the position
    /// of a batch that fails, unless a truncation cut the range meanwhile (then the read is served as
    /// any read that raced a truncation: its copy comes back short).
    /// </summary>
    public void CheckBeforeServing(int start, int end)
    {
        int uncheckedEnd = Math.Min(end, Volatile.Read(ref _uncheckedEnd));
        if (uncheckedEnd <= start)
        {
            return;
        }

        long checkedRange = Volatile.Read(ref _checked);
        int checkedFrom = (int)(checkedRange >> 32);
        int checkedTo = (int)checkedRange;
        bool extends = checkedFrom <= start && start <= checkedTo;
        int position = extends ? checkedTo : start;
        if (position >= uncheckedEnd)
        {
            return;
        }

        using (SegmentBatchReader? reader = SegmentBatchReader.Open(this, position, uncheckedEnd))
        {
            if (reader is null)
            {
                return; // closed or removed meanwhile: the read's copy answers for itself
            }

            try
            {
                while (reader.TryNext(out _))
                {
                }
            }
            catch (StorageException) when (Volatile.Read(ref _uncheckedEnd) < uncheckedEnd)
            {
                return; // truncated under the read: what is there now is this process's own
            }
            catch (StorageException e)
            {
                throw new StorageException(e.Message + ", not served", e);
            }
        }

        RecordChecked(checkedRange, extends ? checkedFrom : start, uncheckedEnd);
    }

    /// <summary>Every batch in the file has been checked (recovery read it; the cleaner wrote it from batches it checked).</summary>
    public void TrustContents() => ForgetUncheckedFrom(0);

    /// <summary>Before a truncation to <paramref name="cut"/>: what is appended from there on is this process's own.</summary>
    private void ForgetUncheckedFrom(int cut)
    {
        if (Volatile.Read(ref _uncheckedEnd) > cut)
        {
            Volatile.Write(ref _uncheckedEnd, cut);
        }
    }

    /// <summary>
    /// Records [<paramref name="from"/>, <paramref name="to"/>) as checked: it extends or replaces
    /// the range seen at the start (<paramref name="seen"/>); if another reader changed the range
    /// meanwhile, theirs stays (a later read may check again, never less).
    /// </summary>
    private void RecordChecked(long seen, int from, int to)
    {
        long range = ((long)from << 32) | (uint)to;
        if (to - from > (int)seen - (int)(seen >> 32) || from == (int)(seen >> 32))
        {
            Interlocked.CompareExchange(ref _checked, range, seen);
        }
    }
}
