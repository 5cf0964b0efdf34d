using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Samsa.Protocol.Primitives;

/// <summary>
/// A byte range of an open file standing in for a byte field (fetched records): an owner that
/// sends with <see cref="PooledBufferWriter.ReferencesLargeFields"/> hands the range to the kernel
/// (<c>sendfile</c>), so the bytes go from the page cache to the socket without a copy through
/// user space, as Kafka's <c>FileRecords.writeTo</c> does with <c>transferTo</c>. Anything else
/// that asks for the bytes (<see cref="GetSpan"/>) gets them read from the file once.
/// </summary>
/// <remarks>
/// The region owns one lease on the handle (a <see cref="System.Runtime.InteropServices.SafeHandle.DangerousAddRef"/> taken by
/// whoever created it), so the file stays open, even if its log closes or deletes it, until
/// <see cref="IDisposable.Dispose"/> releases it after the send. A region never disposed (a
/// response dropped with its connection) gives the lease back when it is finalized, so a deleted
/// segment's file does not stay open for good. Not thread-safe: one response owns it.
/// </remarks>
public sealed class FileRegion : MemoryManager<byte>
{
    private readonly Action<Exception>? _onReadFailure;
    private readonly FileLease _lease;
    private byte[]? _copy;

    /// <param name="leasedFile">A handle with one lease taken for this region; the region releases it.</param>
    /// <param name="onReadFailure">Told of an I/O error reading the file (not of a socket error): a log takes itself offline.</param>
    public FileRegion(SafeFileHandle leasedFile, long position, int length, Action<Exception>? onReadFailure = null)
    {
        ArgumentNullException.ThrowIfNull(leasedFile);
        _lease = new FileLease(leasedFile); // first: if a check below throws, its finalizer still releases the lease
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Position = position;
        Length = length;
        _onReadFailure = onReadFailure;
    }

    /// <summary>The leased file handle; throws once the region is disposed.</summary>
    public SafeFileHandle File => _lease.Handle ?? throw new ObjectDisposedException(nameof(FileRegion));

    /// <summary>Byte position of the range in the file.</summary>
    public long Position { get; }

    /// <summary>Bytes in the range.</summary>
    public int Length { get; }

    /// <summary>Tells the file's owner that reading it failed with <paramref name="cause"/>.</summary>
    public void ReportReadFailure(Exception cause) => _onReadFailure?.Invoke(cause);

    /// <summary>
    /// Reads <paramref name="destination"/>.Length bytes of the range from <paramref name="offset"/>
    /// on; a shorter file (truncated since the range was found) is an <see cref="IOException"/>.
    /// </summary>
    public void ReadExactly(int offset, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(destination.Length, Length - offset);
        SafeFileHandle file = File;
        int done = 0;
        while (done < destination.Length)
        {
            int read;
            try
            {
                read = RandomAccess.Read(file, destination[done..], Position + offset + done);
            }
            catch (IOException e)
            {
                ReportReadFailure(e);
                throw;
            }

            if (read == 0)
            {
                throw new IOException($"The file ended {Length - offset - done} bytes before the end of the region (truncated while being sent).");
            }

            done += read;
        }
    }

    /// <summary>The bytes, read from the file on first use.</summary>
    public override Span<byte> GetSpan()
    {
        if (_copy is null)
        {
            byte[] copy = ArrayPool<byte>.Shared.Rent(Math.Max(Length, 1));
            ReadExactly(0, copy.AsSpan(0, Length));
            _copy = copy;
        }

        return _copy.AsSpan(0, Length);
    }

    /// <summary>The bytes as an array once <see cref="GetSpan"/> has read them; before that, none.</summary>
    protected override bool TryGetArray(out ArraySegment<byte> segment)
    {
        if (_copy is null)
        {
            segment = default;
            return false;
        }

        segment = new ArraySegment<byte>(_copy, 0, Length);
        return true;
    }

    /// <summary>Not supported: nothing hands a region to native code as memory (sends go through <see cref="File"/>).</summary>
    public override MemoryHandle Pin(int elementIndex = 0) =>
        throw new NotSupportedException("A file region is sent from its file or read with GetSpan; it cannot be pinned.");

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        _lease.Dispose();
        byte[]? copy = Interlocked.Exchange(ref _copy, null);
        if (copy is not null)
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>
    /// The lease, apart from the region: a region is a <see cref="MemoryManager{T}"/>, which must not
    /// have a finalizer (a span of it may outlive it), but a lease nobody gave back must still be
    /// released when it is collected, or a deleted segment's file would stay open.
    /// </summary>
    private sealed class FileLease(SafeFileHandle handle) : IDisposable
    {
        private SafeFileHandle? _handle = handle;

        ~FileLease()
        {
            Interlocked.Exchange(ref _handle, null)?.DangerousRelease();
        }

        public SafeFileHandle? Handle => Volatile.Read(ref _handle);

        public void Dispose()
        {
            Interlocked.Exchange(ref _handle, null)?.DangerousRelease();
            GC.SuppressFinalize(this);
        }
    }
}
