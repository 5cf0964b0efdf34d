using System.Buffers;
using System.Runtime.InteropServices;

namespace Samsa.Protocol.Records;

/// <summary>
/// The CRC-32C of each 64 KiB chunk of a buffer, taken in the same pass that copies the chunk in
/// (<see cref="Crc32C.UpdateAndCopy"/>). The CRC of any range of the buffer (a record batch inside a
/// Produce request) is then joined from the whole chunks it covers, at four table look-ups per
/// chunk, and only its partial first and last chunks are read again. For 1 MiB batches this costs
/// about a quarter of a CRC over each whole batch once it has left the core's caches (measured:
/// docs/benchmarks.md, "Checking CRCs as requests arrive" and "Copy and CRC in one pass").
/// </summary>
/// <remarks>
/// Joining uses the linearity of the raw CRC register: the register after <c>A‖B</c> is the register
/// after <c>A</c> advanced over <c>|B|</c> zero bytes, xor the register of <c>B</c> from zero
/// (<see cref="Crc32C.ZeroShift"/>).
/// The chunks describe the bytes as copied: a range changed since (a batch stamped in place) no
/// longer matches them, so <see cref="Matches"/> reads such a range again before it says no.
/// </remarks>
public sealed class ChunkedCrc32C
{
    /// <summary>
    /// Chunk size: fits the second-level cache beside the copy's source with room to spare, and
    /// long enough that each CRC call runs at the folding speed (8 KiB chunks measured slower).
    /// </summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// The least a buffer should hold to be worth copying this way: fewer whole chunks than this
    /// save little against the partial chunks every range reads again.
    /// </summary>
    public const int WorthwhileBytes = 4 * ChunkBytes;

    private static readonly Crc32C.ZeroShift Join = new(ChunkBytes);

    private readonly byte[] _buffer;
    private readonly uint[] _chunks;

    // Whole chunks whose CRCs a check used instead of reading them (JoinedMostChunks).
    private int _joined;

    private ChunkedCrc32C(byte[] buffer, uint[] chunks)
    {
        _buffer = buffer;
        _chunks = chunks;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the start of <paramref name="destination"/> one chunk at a
    /// time, taking each chunk's CRC as it copies it (<see cref="Crc32C.UpdateAndCopy"/>).
    /// </summary>
    public static ChunkedCrc32C CopyFrom(in ReadOnlySequence<byte> source, byte[] destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(source.Length, destination.Length);
        int length = (int)source.Length;
        uint[] chunks = new uint[length / ChunkBytes];
        ReadOnlySequence<byte> rest = source;
        for (int i = 0; i < chunks.Length; i++)
        {
            // Each piece of the source (a receive buffer's segment) is copied in the CRC's pass:
            // the folding stores what it loads, the crc32 lanes copy beside their loads from L1.
            Span<byte> chunk = destination.AsSpan(i * ChunkBytes, ChunkBytes);
            uint crc = 0;
            foreach (ReadOnlyMemory<byte> piece in rest.Slice(0, ChunkBytes))
            {
                crc = Crc32C.UpdateAndCopy(crc, piece.Span, chunk);
                chunk = chunk[piece.Length..];
            }

            rest = rest.Slice(ChunkBytes);
            chunks[i] = crc;
        }

        rest.CopyTo(destination.AsSpan(chunks.Length * ChunkBytes));
        return new ChunkedCrc32C(destination, chunks);
    }

    /// <summary>
    /// Whether the checks so far used at least half of the chunks: false when the buffer held
    /// batches too small to cover whole chunks, and taking the chunk CRCs only cost time.
    /// </summary>
    public bool JoinedMostChunks => Volatile.Read(ref _joined) * 2 >= _chunks.Length;

    /// <summary>
    /// Whether <paramref name="data"/> has the CRC-32C <paramref name="expected"/>: joined from the
    /// chunks when <paramref name="data"/> lies in the copied buffer, read in full otherwise, and
    /// read in full before a mismatch is reported (the chunks may describe bytes since changed).
    /// A match vouches for the bytes as they were copied: the caller must not have changed any
    /// byte the CRC covers between the copy and the check (stamping fields outside it, or
    /// rewriting the CRC with them, is fine).
    /// </summary>
    public bool Matches(ReadOnlyMemory<byte> data, uint expected) =>
        (TryJoin(data, out uint joined) && joined == expected) || Crc32C.Compute(data.Span) == expected;

    /// <summary>The CRC of <paramref name="data"/> from the chunks, when it lies in the copied buffer and holds at least one whole chunk.</summary>
    internal bool TryJoin(ReadOnlyMemory<byte> data, out uint crc)
    {
        crc = 0;
        if (!MemoryMarshal.TryGetArray(data, out ArraySegment<byte> segment) || !ReferenceEquals(segment.Array, _buffer))
        {
            return false;
        }

        int start = segment.Offset;
        int end = start + segment.Count;
        int firstWhole = (start / ChunkBytes) + (start % ChunkBytes == 0 ? 0 : 1);
        int endWhole = Math.Min(end / ChunkBytes, _chunks.Length);
        if (endWhole <= firstWhole)
        {
            return false; // no whole chunk inside: nothing to save
        }

        Interlocked.Add(ref _joined, endWhole - firstWhole);
        ReadOnlySpan<byte> buffer = _buffer;
        uint register = Crc32C.Update(~0u, buffer[start..(firstWhole * ChunkBytes)]);
        for (int i = firstWhole; i < endWhole; i++)
        {
            register = Join.Apply(register) ^ _chunks[i];
        }

        crc = ~Crc32C.Update(register, buffer[(endWhole * ChunkBytes)..end]);
        return true;
    }
}
