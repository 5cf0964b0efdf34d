using System.Buffers;
using System.Runtime.InteropServices;

namespace Samsa.Protocol.Primitives;

/// <summary>
/// A growable byte buffer rented from <see cref="ArrayPool{T}"/> that also lets a caller patch bytes
/// already written (a frame's size prefix, a batch's CRC). Owned by one writer at a time; dispose
/// returns the buffer to the pool, after which <see cref="WrittenMemory"/> must not be used.
/// </summary>
/// <remarks>
/// An owner that sends what was written with a gathered write (a socket's <c>writev</c>) can let
/// large byte fields be <em>referenced</em> instead of copied (<see cref="ReferencesLargeFields"/>):
/// fetched records then go from the page cache to the socket with one copy on each side of the
/// kernel boundary instead of an extra one into this buffer; a field that is a <see cref="FileRegion"/>
/// is always referenced, whatever its length, so its owner can send it from the file without any
/// copy. <see cref="WrittenCount"/>, <see cref="WrittenSpan"/> and <see cref="WrittenMemory"/> cover
/// this buffer's own bytes only; <see cref="GetParts"/> gives the whole output in order.
/// </remarks>
public sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int DefaultInitialCapacity = 256;

    /// <summary>Byte fields at least this long are referenced when <see cref="ReferencesLargeFields"/> is on; below it a copy is cheaper than another iovec.</summary>
    public const int MinReferencedLength = 16 * 1024;

    private byte[] _buffer;
    private int _written;

    // Referenced fields in output order: each goes out after this buffer's bytes [.., At).
    private readonly List<(int At, ReadOnlyMemory<byte> Data)> _references = [];

    public PooledBufferWriter(int initialCapacity = DefaultInitialCapacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialCapacity, 16));
    }

    public int WrittenCount => _written;

    /// <summary>
    /// On: <see cref="TryReference"/> keeps large byte fields (and every <see cref="FileRegion"/>) by
    /// reference. The owner must keep every referenced buffer unchanged until the output has been
    /// sent, and send it with <see cref="GetParts"/>.
    /// </summary>
    public bool ReferencesLargeFields { get; set; }

    /// <summary>Bytes of the referenced fields (not in <see cref="WrittenCount"/>).</summary>
    public int ReferencedCount { get; private set; }

    /// <summary>Whether the output has referenced fields, so it must be sent with <see cref="GetParts"/>.</summary>
    public bool HasReferences => _references.Count > 0;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>Bytes already written, writable in place (for patching prefixes and checksums).</summary>
    public Span<byte> WrittenSpanForPatch => _buffer.AsSpan(0, _written);

    public void Advance(int count)
    {
        if (count < 0 || _written + count > _buffer.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>
    /// Appends <paramref name="data"/> by reference when <see cref="ReferencesLargeFields"/> is on and
    /// the field is a <see cref="FileRegion"/> or long enough and array-backed; false means the caller
    /// copies it as usual.
    /// </summary>
    public bool TryReference(ReadOnlyMemory<byte> data)
    {
        if (!ReferencesLargeFields
            || (!MemoryMarshal.TryGetMemoryManager(data, out FileRegion? _, out _, out _)
                && (data.Length < MinReferencedLength || !MemoryMarshal.TryGetArray(data, out ArraySegment<byte> _))))
        {
            return false;
        }

        _references.Add((_written, data));
        ReferencedCount += data.Length;
        return true;
    }

    /// <summary>
    /// The whole output in order (own bytes and referenced fields interleaved), for a gathered
    /// write: a part backed by a <see cref="FileRegion"/> (<see cref="MemoryMarshal.TryGetMemoryManager{T, TManager}(ReadOnlyMemory{T}, out TManager, out int, out int)"/>)
    /// is best sent from its file; every other part is array-backed.
    /// </summary>
    public void GetParts(List<ReadOnlyMemory<byte>> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        int from = 0;
        foreach ((int at, ReadOnlyMemory<byte> data) in _references)
        {
            if (at > from)
            {
                parts.Add(_buffer.AsMemory(from, at - from));
            }

            parts.Add(data);
            from = at;
        }

        if (_written > from)
        {
            parts.Add(_buffer.AsMemory(from, _written - from));
        }
    }

    /// <summary>Forgets what was written (and referenced), keeping the rented buffer for reuse.</summary>
    public void Clear()
    {
        _written = 0;
        _references.Clear();
        ReferencedCount = 0;
    }

    public byte[] ToArray() => WrittenSpan.ToArray();

    private void Ensure(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        int newSize = Math.Max(_buffer.Length * 2, _written + needed);
        byte[] next = ArrayPool<byte>.Shared.Rent(newSize);
        _buffer.AsSpan(0, _written).CopyTo(next);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        _references.Clear();
        ReferencedCount = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
