using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Log;

/// <summary>
/// Reads a segment's batches in order, whole and CRC-checked, through large sequential reads into
/// a pooled buffer (grown for a batch bigger than it): the cleaner's input, recovery's walk
/// (<see cref="LogSegment.Recover"/>), and the check of old bytes before a read serves them
/// (<see cref="LogSegment.CheckBeforeServing"/>). Holds a lease on
/// the segment's file handle from <see cref="Open"/> to <see cref="Dispose"/>, so an idle release,
/// retention or a compaction swap of the segment meanwhile cannot pull the file away. One thread
/// per reader.
/// </summary>
internal sealed class SegmentBatchReader : IDisposable
{
    private const int ReadSize = 1024 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly string _path;
    private readonly int _end;
    private byte[] _buffer;
    private int _bufferStart; // file position of _buffer[0]
    private int _filled;
    private int _position; // file position of the next batch
    private string? _problem; // what the last failed read found, for TryNext's exception

    private SegmentBatchReader(SafeFileHandle handle, string path, int start, int end)
    {
        _handle = handle;
        _path = path;
        _bufferStart = start;
        _position = start;
        _end = end;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(ReadSize, Math.Max(end - start, RecordBatch.HeaderSize)));
    }

    /// <summary>A reader over [0, size) of <paramref name="segment"/>, or null when it is closed or gone.</summary>
    public static SegmentBatchReader? Open(LogSegment segment) => Open(segment, 0, segment.Size);

    /// <summary>
    /// A reader over the batches in [<paramref name="start"/>, <paramref name="end"/>) (batch
    /// boundaries) of <paramref name="segment"/>, or null when it is closed or gone.
    /// </summary>
    public static SegmentBatchReader? Open(LogSegment segment, int start, int end)
    {
        SafeFileHandle? handle = segment.AcquireHandle();
        return handle is null ? null : new SegmentBatchReader(handle, segment.LogPath, start, end);
    }

    /// <summary>File position of the next batch: the end of the whole, valid batches read so far.</summary>
    public int Position => _position;

    /// <summary>
    /// The next batch (valid only until the next call), or false at the end.
    /// </summary>
    /// <exception cref="StorageException">A batch is torn or fails its checks: the segment is corrupt.</exception>
    public bool TryNext(out ReadOnlyMemory<byte> batch)
    {
        if (TryRead(out batch, out RecordBatchStatus failure))
        {
            return true;
        }

        return failure == RecordBatchStatus.Valid
            ? false
            : throw new StorageException($"Segment {_path} holds {_problem} at position {_position}");
    }

    /// <summary>
    /// The next batch (valid only until the next call), or false: at the end with
    /// <paramref name="failure"/> <see cref="RecordBatchStatus.Valid"/>, else at bytes that are
    /// not a whole valid batch (a torn tail, a bad length, a failed check), which stay unread and
    /// <see cref="Position"/> points at. Recovery's way: it cuts there instead of throwing.
    /// </summary>
    public bool TryRead(out ReadOnlyMemory<byte> batch, out RecordBatchStatus failure)
    {
        batch = default;
        failure = RecordBatchStatus.Valid;
        if (_position >= _end)
        {
            return false;
        }

        if (!Ensure(RecordBatch.LogOverhead))
        {
            return Fail(RecordBatchStatus.LengthMismatch, "a torn batch header", out failure);
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_position - _bufferStart + 8));
        if (length < RecordBatch.HeaderSize - RecordBatch.LogOverhead || length > _end - _position - RecordBatch.LogOverhead)
        {
            return Fail(RecordBatchStatus.LengthMismatch, "a bad batch length", out failure);
        }

        int size = length + RecordBatch.LogOverhead;
        if (!Ensure(size))
        {
            return Fail(RecordBatchStatus.LengthMismatch, "a torn batch", out failure);
        }

        ReadOnlyMemory<byte> bytes = _buffer.AsMemory(_position - _bufferStart, size);
        RecordBatchStatus status = RecordBatch.TryValidate(bytes.Span);
        if (status != RecordBatchStatus.Valid)
        {
            return Fail(status, $"a batch that fails its check ({status})", out failure);
        }

        batch = bytes;
        _position += size;
        return true;
    }

    public void Dispose()
    {
        _handle.DangerousRelease();
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    /// <summary>Makes [_position, _position + count) resident in the buffer; false when the file is shorter.</summary>
    private bool Ensure(int count)
    {
        int offset = _position - _bufferStart;
        if (offset + count <= _filled)
        {
            return true;
        }

        int available = _filled - offset;
        if (count > _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(count);
            _buffer.AsSpan(offset, available).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        else
        {
            _buffer.AsSpan(offset, available).CopyTo(_buffer);
        }

        _bufferStart = _position;
        int want = Math.Min(_buffer.Length - available, _end - _position - available);
        int read = want <= 0 ? 0 : BatchHeaderScanner.ReadFully(_handle, _buffer.AsSpan(available, want), _position + available);
        _filled = available + read;
        return count <= _filled;
    }

    private bool Fail(RecordBatchStatus status, string problem, out RecordBatchStatus failure)
    {
        _problem = problem;
        failure = status;
        return false;
    }
}
