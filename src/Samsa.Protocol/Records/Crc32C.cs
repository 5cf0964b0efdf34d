using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Samsa.Protocol.Records;

/// <summary>
/// CRC-32C (Castagnoli), the checksum of record batches and of Kafka's producer-state snapshots.
/// Inputs of <see cref="FoldingThreshold"/> bytes or more go through <see cref="Crc32CFolding"/>
/// (256-bit carry-less multiply beside the <c>crc32</c> instruction, about twice the instruction
/// alone) where the CPU has VPCLMULQDQ. The rest, and everything elsewhere, goes through
/// <see cref="BitOperations.Crc32C(uint, ulong)"/>, which maps to the SSE4.2/ARMv8 instruction
/// when the CPU has it (and to a table otherwise), fed 8 bytes at a time.
/// </summary>
/// <remarks>
/// On the <c>crc32</c> path: the instruction has a latency of about three cycles but can start one
/// per cycle, so a single running CRC uses a third of what the core offers. Long inputs are
/// therefore cut into three adjacent blocks whose CRCs run interleaved (three independent
/// dependency chains) and are then joined: the CRC of <c>A‖B</c> is the CRC of <c>A</c> advanced
/// over <c>|B|</c> zero bytes, xor the CRC of <c>B</c> started from zero. Advancing over a fixed
/// number of zero bytes is linear in the 32-bit register, so it is four table look-ups
/// (<see cref="ZeroShift"/>). This is the technique of Intel's "Fast CRC Computation for iSCSI
/// Polynomial Using CRC32 Instruction" and of the hardware path in Mark Adler's crc32c.c, with
/// tables built at start-up from the instruction itself.
/// </remarks>
public static class Crc32C
{
    // Two block sizes: the long one amortizes the joins over large batches, the short one still
    // interleaves the tail of a large input and the whole of a small (≥ 768 B) one.
    private const int LongBlock = 8192;
    private const int ShortBlock = 256;

    private static readonly ZeroShift LongShift = new(LongBlock);
    private static readonly ZeroShift ShortShift = new(ShortBlock);

    /// <summary>
    /// From this length on <see cref="Crc32CFolding"/> does the bulk where the CPU has it: below,
    /// its fixed cost (four accumulators to fill, join and reduce) outweighs its speed.
    /// </summary>
    internal const int FoldingThreshold = 256;

    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(~0u, data);

    /// <summary>Advances a raw (non-inverted) running CRC; <see cref="Compute"/> adds the pre- and post-inversion.</summary>
    internal static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        if (Crc32CFolding.IsSupported && data.Length >= FoldingThreshold)
        {
            crc = Crc32CFolding.Update(crc, data, out int folded);
            data = data[folded..];
        }

        return UpdateInterleaved(crc, data);
    }

    /// <summary>
    /// <see cref="Update"/> over <paramref name="source"/> that also copies it to the start of
    /// <paramref name="destination"/> (which must not overlap it). Where the folding path runs, the
    /// copy happens in the CRC's own pass (<see cref="Crc32CFolding.UpdateAndCopy"/>); the short
    /// tail is copied, then CRC-ed.
    /// </summary>
    internal static uint UpdateAndCopy(uint crc, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, source.Length);
        Debug.Assert(!source.Overlaps(destination), "The folding's stores would overwrite source bytes not yet read.");
        int copied = 0;
        if (Crc32CFolding.IsSupported && source.Length >= FoldingThreshold)
        {
            crc = Crc32CFolding.UpdateAndCopy(crc, source, destination, out copied);
        }

        Span<byte> rest = destination[copied..source.Length];
        source[copied..].CopyTo(rest);
        return UpdateInterleaved(crc, rest);
    }

    /// <summary>
    /// <see cref="Update"/> with the <c>crc32</c> instruction alone: short inputs, the tail after
    /// folding, and every input on CPUs without carry-less multiply (ARM included).
    /// </summary>
    internal static uint UpdateInterleaved(uint crc, ReadOnlySpan<byte> data)
    {
        ref byte next = ref MemoryMarshal.GetReference(data);
        nuint left = (nuint)data.Length;

        while (left >= 3 * LongBlock)
        {
            crc = ThreeBlocks(crc, ref next, LongBlock, LongShift);
            next = ref Unsafe.Add(ref next, 3 * LongBlock);
            left -= 3 * LongBlock;
        }

        while (left >= 3 * ShortBlock)
        {
            crc = ThreeBlocks(crc, ref next, ShortBlock, ShortShift);
            next = ref Unsafe.Add(ref next, 3 * ShortBlock);
            left -= 3 * ShortBlock;
        }

        // The CRC is bit-reflected, so the little-endian view of each 8-byte chunk is the byte order
        // the polynomial division expects.
        while (left >= sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, ReadLittleEndian(ref next));
            next = ref Unsafe.Add(ref next, sizeof(ulong));
            left -= sizeof(ulong);
        }

        while (left > 0)
        {
            crc = BitOperations.Crc32C(crc, next);
            next = ref Unsafe.Add(ref next, 1);
            left--;
        }

        return crc;
    }

    private static uint ThreeBlocks(uint crc, ref byte start, int block, ZeroShift shift)
    {
        uint crc1 = 0;
        uint crc2 = 0;
        for (int at = 0; at < block; at += sizeof(ulong))
        {
            crc = BitOperations.Crc32C(crc, ReadLittleEndian(ref Unsafe.Add(ref start, at)));
            crc1 = BitOperations.Crc32C(crc1, ReadLittleEndian(ref Unsafe.Add(ref start, block + at)));
            crc2 = BitOperations.Crc32C(crc2, ReadLittleEndian(ref Unsafe.Add(ref start, (2 * block) + at)));
        }

        crc = shift.Apply(crc) ^ crc1;
        return shift.Apply(crc) ^ crc2;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadLittleEndian(ref byte at)
    {
        ulong value = Unsafe.ReadUnaligned<ulong>(ref at);
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>
    /// The map "advance a raw CRC register over <c>n</c> zero bytes", which is linear over GF(2), as
    /// four 256-entry tables: one per byte of the register, xor-ed together. Also what joins the
    /// chunk CRCs of <see cref="ChunkedCrc32C"/>.
    /// </summary>
    internal sealed class ZeroShift
    {
        private readonly uint[] _table = new uint[4 * 256];

        /// <param name="zeroBytes">A multiple of 8.</param>
        public ZeroShift(int zeroBytes)
        {
            // Linear, so each entry is the xor of the images of its set bits: 32 registers advanced
            // over the zeros, not 1,024 (a 64 KiB shift would otherwise cost milliseconds at start-up).
            Span<uint> images = stackalloc uint[32];
            for (int bit = 0; bit < images.Length; bit++)
            {
                uint crc = 1u << bit;
                for (int i = 0; i < zeroBytes; i += sizeof(ulong))
                {
                    crc = BitOperations.Crc32C(crc, 0UL);
                }

                images[bit] = crc;
            }

            for (int lane = 0; lane < 4; lane++)
            {
                for (int value = 0; value < 256; value++)
                {
                    uint image = 0;
                    for (int bit = 0; bit < 8; bit++)
                    {
                        if (((value >> bit) & 1) != 0)
                        {
                            image ^= images[(8 * lane) + bit];
                        }
                    }

                    _table[(lane * 256) + value] = image;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public uint Apply(uint crc)
        {
            uint[] table = _table;
            return table[(int)(crc & 0xFF)]
                ^ table[256 + (int)((crc >> 8) & 0xFF)]
                ^ table[512 + (int)((crc >> 16) & 0xFF)]
                ^ table[768 + (int)(crc >> 24)];
        }
    }
}
