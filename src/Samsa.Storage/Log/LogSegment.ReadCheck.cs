using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Log;

/// <summary>
/// Batches a segment held when it was opened, which neither this process appended nor recovery
/// checked (a sealed segment of an earlier run; the active one after a clean shutdown), are checked
/// (size, structure, CRC-32C) before a read serves them, so a bit that flipped on disk is reported
/// and the log taken offline instead of being sent to a consumer or follower. What appends wrote is
/// trusted (they checked every batch), and so is what recovery read. A read from the start of the
/// unchecked range moves the checked prefix on, so a sequential reader pays once per batch; a read
/// that starts further on checks its own batches every time. docs/storage.md, "Corruption".
/// </summary>
internal sealed partial class LogSegment
{
    // Positions [_checkedUpTo, _uncheckedEnd) are unchecked; both only ever shrink that range.
    // _uncheckedEnd is the file size at open (0 for a segment this process created).
    private int _uncheckedEnd;
    private int _checkedUpTo;

    /// <summary>
    /// Checks the whole batches in [<paramref name="start"/>, <paramref name="end"/>) that are still
    /// unchecked. Throws <see cref="StorageException"/> naming the position of a batch that fails.
    /// </summary>
    public void CheckBeforeServing(SafeFileHandle handle, int start, int end)
    {
        int checkedUpTo = Volatile.Read(ref _checkedUpTo);
        int uncheckedEnd = Math.Min(end, Volatile.Read(ref _uncheckedEnd));
        if (uncheckedEnd <= Math.Max(start, checkedUpTo))
        {
            return;
        }

        // Start at the checked prefix's end when the read covers it (a batch boundary), else at the read's start.
        bool extendsPrefix = start <= checkedUpTo;
        int position = extendsPrefix ? checkedUpTo : start;
        Span<byte> header = stackalloc byte[RecordBatch.LogOverhead];
        while (position < uncheckedEnd)
        {
            if (RandomAccess.Read(handle, header, position) < header.Length)
            {
                throw Corrupt(position, "its header is cut off");
            }

            long size = RecordBatch.LogOverhead + (long)BinaryPrimitives.ReadInt32BigEndian(header[BatchLengthFieldOffset..]);
            if (size < RecordBatch.HeaderSize || position + size > end)
            {
                throw Corrupt(position, $"its length ({size} bytes) does not fit the read's end");
            }

            byte[] batch = ArrayPool<byte>.Shared.Rent((int)size);
            try
            {
                Span<byte> bytes = batch.AsSpan(0, (int)size);
                if (RandomAccess.Read(handle, bytes, position) < size)
                {
                    throw Corrupt(position, "it is cut off");
                }

                RecordBatchStatus status = RecordBatch.TryValidate(bytes);
                if (status != RecordBatchStatus.Valid)
                {
                    throw Corrupt(position, status.ToString());
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(batch);
            }

            position += (int)size;
            if (extendsPrefix)
            {
                MarkChecked(position);
            }
        }
    }

    /// <summary>Everything below <paramref name="position"/> (a batch boundary) has been checked.</summary>
    private void MarkChecked(int position)
    {
        int seen = Volatile.Read(ref _checkedUpTo);
        while (position > seen)
        {
            int previous = Interlocked.CompareExchange(ref _checkedUpTo, position, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>After a truncation to <paramref name="cut"/>: what is appended from there on is this process's own.</summary>
    private void ForgetUncheckedFrom(int cut)
    {
        if (Volatile.Read(ref _uncheckedEnd) > cut)
        {
            Volatile.Write(ref _uncheckedEnd, cut);
        }
    }

    private StorageException Corrupt(int position, string why) =>
        new($"Segment {LogPath} holds a corrupt batch at position {position} ({why}); it was not served.");
}
