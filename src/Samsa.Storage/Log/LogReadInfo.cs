using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Samsa.Storage.Log;

/// <summary>
/// The result of <see cref="PartitionLog.Read"/>: a byte range of one segment file holding whole
/// stored batches, copied out only when the caller asks (<see cref="CopyTo"/>,
/// <see cref="ReadInto"/>, <see cref="ReadAsync"/>), straight from the file into the caller's
/// buffer. Copy soon: a range stays readable while its segment waits out file.delete.delay.ms after
/// retention removed it, but a truncation or a deleted partition makes a later copy come back
/// short (fewer bytes than <see cref="Length"/>; never an exception).
/// </summary>
public readonly struct LogReadInfo
{
    private readonly LogSegment? _segment;

    internal LogReadInfo(LogReadStatus status, LogSegment? segment, long position, int length, long firstOffset, long logStartOffset, long logEndOffset)
    {
        Status = status;
        _segment = segment;
        Position = position;
        Length = length;
        FirstOffset = firstOffset;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    public LogReadStatus Status { get; }

    /// <summary>Byte position of the first batch in its segment file.</summary>
    public long Position { get; }

    /// <summary>Bytes of whole batches in the range; 0 when there is nothing to return.</summary>
    public int Length { get; }

    /// <summary>Base offset of the first batch returned (it may begin before the requested offset); -1 when empty.</summary>
    public long FirstOffset { get; }

    public long LogStartOffset { get; }

    public long LogEndOffset { get; }

    /// <summary>The segment the range is in (tests take a lease on its file as a read in flight does).</summary>
    internal LogSegment? Segment => _segment;

    /// <summary>
    /// A lease on the file the range is in, for a caller that sends the range from the file itself
    /// (<c>sendfile</c>) rather than copying it: the file stays open until the caller gives the
    /// lease back (<see cref="System.Runtime.InteropServices.SafeHandle.DangerousRelease"/>), even if
    /// the log closes or deletes the segment meanwhile. Null when there is nothing to read or the
    /// segment is closed.
    /// </summary>
    public SafeFileHandle? AcquireFile() => _segment is null || Length == 0 ? null : _segment.AcquireHandle();

    /// <summary>Copies the range into <paramref name="destination"/> (at least <see cref="Length"/> bytes); returns the bytes copied.</summary>
    public int CopyTo(Span<byte> destination)
    {
        if (_segment is null || Length == 0)
        {
            return 0;
        }

        return _segment.Read(Position, destination[..Length]);
    }

    /// <summary>Appends the range to <paramref name="writer"/>; returns the bytes written.</summary>
    public int ReadInto(IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (_segment is null || Length == 0)
        {
            return 0;
        }

        int read = _segment.Read(Position, writer.GetSpan(Length)[..Length]);
        writer.Advance(read);
        return read;
    }

    public ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_segment is null || Length == 0)
        {
            return ValueTask.FromResult(0);
        }

        return _segment.ReadAsync(Position, destination[..Length], cancellationToken);
    }
}
