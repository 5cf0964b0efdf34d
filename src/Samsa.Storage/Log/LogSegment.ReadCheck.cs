using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

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
    public void CheckBeforeServing(SafeFileHandle handle, int start, int end)
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

        Span<byte> header = stackalloc byte[RecordBatch.LogOverhead];
        while (position < uncheckedEnd)
        {
            string? failure = CheckBatch(handle, header, position, end, out int size);
            if (failure is not null)
            {
                if (Volatile.Read(ref _uncheckedEnd) < uncheckedEnd)
                {
                    return; // truncated under the read: what is there now is this process's own
                }

                throw new StorageException($"Segment {LogPath} holds a corrupt batch at position {position} ({failure}), not served");
            }

            position += size;
        }

        RecordChecked(checkedRange, extends ? checkedFrom : start, position);
    }

    /// <summary>Everything in [0, <paramref name="end"/>) has been checked (recovery read it); nothing after it predates this process.</summary>
    private void MarkRecovered(int end)
    {
        Volatile.Write(ref _checked, end);
        ForgetUncheckedFrom(end);
    }

    /// <summary>The cleaner wrote this file from batches it read and checked: reads need not check it again.</summary>
    public void TrustContents() => ForgetUncheckedFrom(0);

    /// <summary>Before a truncation to <paramref name="cut"/>: what is appended from there on is this process's own.</summary>
    private void ForgetUncheckedFrom(int cut)
    {
        if (Volatile.Read(ref _uncheckedEnd) > cut)
        {
            Volatile.Write(ref _uncheckedEnd, cut);
        }
    }

    /// <summary>Null when the batch at <paramref name="position"/> is whole and valid, else why not.</summary>
    private static string? CheckBatch(SafeFileHandle handle, Span<byte> header, int position, int end, out int size)
    {
        size = 0;
        if (BatchHeaderScanner.ReadFully(handle, header, position) < header.Length)
        {
            return "its header is cut off";
        }

        long length = RecordBatch.LogOverhead + (long)BinaryPrimitives.ReadInt32BigEndian(header[BatchLengthFieldOffset..]);
        if (length < RecordBatch.HeaderSize || position + length > end)
        {
            return $"its length of {length} bytes does not fit the read";
        }

        size = (int)length;
        byte[] batch = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Span<byte> bytes = batch.AsSpan(0, size);
            if (BatchHeaderScanner.ReadFully(handle, bytes, position) < size)
            {
                return "it is cut off";
            }

            RecordBatchStatus status = RecordBatch.TryValidate(bytes);
            return status == RecordBatchStatus.Valid ? null : status.ToString();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(batch);
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
