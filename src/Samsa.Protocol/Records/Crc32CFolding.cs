using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Samsa.Protocol.Records;

/// <summary>
/// CRC-32C of long inputs by carry-less multiplication (VPCLMULQDQ on 256-bit vectors) running
/// beside the <c>crc32</c> instruction: about twice what the instruction alone does.
/// </summary>
/// <remarks>
/// <para>
/// <b>Folding.</b> A reflected CRC treats bit <c>j</c> of a little-endian 16-byte load as the
/// coefficient of <c>x^(127-j)</c>, so its low 64-bit half holds the high-degree half <c>H</c> of
/// the 128-bit polynomial <c>S = H·x^64 + L</c>. Moving <c>S</c> forward over <c>D</c> bits of
/// later input multiplies it by <c>x^D</c>; modulo the CRC polynomial P that is
/// <c>H·(x^(D+64) mod P) + L·(x^D mod P)</c>, under 128 bits, so it is xor-ed into the input found
/// <c>D</c> bits later. Only the congruence mod P matters, so nothing is reduced until the end.
/// A carry-less multiply of two reflected 64-bit values returns their product times <c>x</c> (the
/// 127-bit product sits one bit up in the reflected 128-bit result), and a 32-bit constant in the
/// low bits of a 64-bit operand stands for itself times <c>x^32</c>. So a fold over <c>D</c> bits
/// multiplies by <c>x^(D+31) mod P</c> (for <c>H</c>) and <c>x^(D-33) mod P</c> (for <c>L</c>),
/// bit-reflected; Crc32CTests recomputes every constant here bit by bit.
/// </para>
/// <para>
/// The incoming CRC register is xor-ed into the first four input bytes (it is the remainder of
/// everything before, so it weighs what those bytes weigh). At the end the last 128-bit value is
/// itself input: two <c>crc32</c> instructions over its halves from a zero register give its
/// remainder times <c>x^32</c>, which is the CRC register (no Barrett reduction needed).
/// </para>
/// <para>
/// <b>Why both units.</b> On the CPU this was tuned on (AMD Zen 3) a 256-bit carry-less multiply
/// issues every other cycle, so four 256-bit accumulators fold ≈ 8 bytes per cycle, about what
/// three interleaved <c>crc32</c> chains do, and the two run on different execution units. A
/// <see cref="HybridBlock"/> therefore gives its first <see cref="HybridVectorBytes"/> to the
/// folding and its other three <see cref="HybridScalarBytes"/> parts to three <c>crc32</c> chains,
/// all in one loop, and joins the four remainders: the CRC of <c>A‖B</c> is the register of
/// <c>A</c> advanced over <c>|B|</c> zero bytes, xor the register of <c>B</c> from zero. Advancing
/// over <c>n</c> zero bytes is multiplying by <c>x^(8n) mod P</c>, one carry-less multiply and one
/// <c>crc32</c> (<see cref="Shift"/>).
/// </para>
/// <para>
/// Only where VPCLMULQDQ exists: 128-bit PCLMULQDQ folding measured slower than the interleaved
/// <c>crc32</c> path on that CPU, so without 256-bit multiplies <see cref="Crc32C"/> keeps the
/// instruction alone. x86 only, hence little-endian.
/// </para>
/// </remarks>
internal static class Crc32CFolding
{
    // x^(D+31) mod P and x^(D-33) mod P, reflected, for folds over D = 128, 256, 512, 768 and
    // 1024 bits (16 to 128 bytes).
    internal const ulong Fold128High = 0xF20C0DFE;
    internal const ulong Fold128Low = 0x493C7D27;
    internal const ulong Fold256High = 0x3DA6D0CB;
    internal const ulong Fold256Low = 0xBA4FC28E;
    internal const ulong Fold512High = 0x740EEF02;
    internal const ulong Fold512Low = 0x9E4ADDF8;
    internal const ulong Fold768High = 0xC49F4F67;
    internal const ulong Fold768Low = 0x0715CE53;
    internal const ulong Fold1024High = 0x6992CEA2;
    internal const ulong Fold1024Low = 0x0D3B6092;

    /// <summary>Rounds per hybrid block: each folds 128 bytes and runs 32 bytes through each chain.</summary>
    internal const int HybridRounds = 32;

    internal const int HybridVectorBytes = 128 * HybridRounds;
    internal const int HybridScalarBytes = 32 * HybridRounds;
    internal const int HybridBlock = HybridVectorBytes + (3 * HybridScalarBytes);

    // x^(8n-33) mod P, reflected, advancing a register over n = 3, 2 and 1 × HybridScalarBytes zero bytes.
    internal const ulong ShiftThreeScalarParts = 0x359674F7;
    internal const ulong ShiftTwoScalarParts = 0xA51B6135;
    internal const ulong ShiftOneScalarPart = 0x170076FA;

    /// <summary>Shortest input <see cref="Update"/> takes: one round of the four accumulators.</summary>
    internal const int MinLength = 4 * 32;

    /// <summary>True where <see cref="Update"/> may be used: x64 with VPCLMULQDQ and SSE4.2.</summary>
    public static bool IsSupported => Pclmulqdq.V256.IsSupported && Sse42.X64.IsSupported;

    /// <summary>
    /// Advances a raw CRC register over a prefix of <paramref name="data"/> (at least
    /// <see cref="MinLength"/> bytes) and returns the prefix's length in <paramref name="consumed"/>:
    /// whole hybrid blocks, then whole 16-byte blocks by folding if at least
    /// <see cref="MinLength"/> bytes of them are left. The caller takes the rest, under 128 bytes.
    /// </summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data, out int consumed) =>
        Update<NoCopy>(crc, data, ref MemoryMarshal.GetReference(data), out consumed); // NoCopy never writes its target

    /// <summary>
    /// <see cref="Update(uint, ReadOnlySpan{byte}, out int)"/> that also copies the prefix it
    /// consumes to <paramref name="destination"/> (at least as long as <paramref name="data"/>, not
    /// overlapping it). The folding stores each block it has loaded and the <c>crc32</c> chains copy
    /// their 32 bytes beside their own loads (from L1 by then), so copying and checking cost one
    /// pass over the source.
    /// </summary>
    public static uint UpdateAndCopy(uint crc, ReadOnlySpan<byte> data, Span<byte> destination, out int consumed)
    {
        Debug.Assert(destination.Length >= data.Length, "Room for the copy.");
        return Update<Copy>(crc, data, ref MemoryMarshal.GetReference(destination), out consumed);
    }

    private static uint Update<TCopy>(uint crc, ReadOnlySpan<byte> data, ref byte destination, out int consumed)
        where TCopy : struct, ICopy
    {
        Debug.Assert(IsSupported && data.Length >= MinLength, "Caller checks support and length.");
        int blocks = data.Length / HybridBlock * HybridBlock;
        crc = HybridUpdate<TCopy>(crc, data[..blocks], ref destination);
        int rest = (data.Length - blocks) & ~15;
        if (rest < MinLength)
        {
            // Too short to fold: the caller's crc32 path takes it with the tail.
            consumed = blocks;
            return crc;
        }

        consumed = blocks + rest;
        return FoldingUpdate<TCopy>(crc, data.Slice(blocks, rest), ref Unsafe.Add(ref destination, blocks));
    }

    /// <summary>Whole <see cref="HybridBlock"/>s, folding and three <c>crc32</c> chains side by side.</summary>
    internal static uint HybridUpdate(uint crc, ReadOnlySpan<byte> data) =>
        HybridUpdate<NoCopy>(crc, data, ref MemoryMarshal.GetReference(data));

    private static uint HybridUpdate<TCopy>(uint crc, ReadOnlySpan<byte> data, ref byte target)
        where TCopy : struct, ICopy
    {
        Debug.Assert(data.Length % HybridBlock == 0, "Whole hybrid blocks.");
        ref byte block = ref MemoryMarshal.GetReference(data);
        nuint left = (nuint)data.Length;
        Vector256<ulong> by1024 = Vector256.Create(Fold1024High, Fold1024Low, Fold1024High, Fold1024Low);
        while (left != 0)
        {
            ref byte part1 = ref Unsafe.Add(ref block, HybridVectorBytes);
            ref byte part2 = ref Unsafe.Add(ref part1, HybridScalarBytes);
            ref byte part3 = ref Unsafe.Add(ref part2, HybridScalarBytes);
            ref byte target1 = ref Unsafe.Add(ref target, HybridVectorBytes);
            ref byte target2 = ref Unsafe.Add(ref target1, HybridScalarBytes);
            ref byte target3 = ref Unsafe.Add(ref target2, HybridScalarBytes);

            Vector256<ulong> y0 = LoadAndCopy<TCopy>(ref block, ref target, 0) ^ Vector256.CreateScalar((ulong)crc);
            Vector256<ulong> y1 = LoadAndCopy<TCopy>(ref block, ref target, 32);
            Vector256<ulong> y2 = LoadAndCopy<TCopy>(ref block, ref target, 64);
            Vector256<ulong> y3 = LoadAndCopy<TCopy>(ref block, ref target, 96);
            uint crc1 = 0;
            uint crc2 = 0;
            uint crc3 = 0;
            nuint scalarAt = 0;
            for (nuint vectorAt = 128; vectorAt < HybridVectorBytes; vectorAt += 128, scalarAt += 32)
            {
                y0 = Fold(y0, by1024) ^ LoadAndCopy<TCopy>(ref block, ref target, vectorAt);
                y1 = Fold(y1, by1024) ^ LoadAndCopy<TCopy>(ref block, ref target, vectorAt + 32);
                y2 = Fold(y2, by1024) ^ LoadAndCopy<TCopy>(ref block, ref target, vectorAt + 64);
                y3 = Fold(y3, by1024) ^ LoadAndCopy<TCopy>(ref block, ref target, vectorAt + 96);
                crc1 = Crc32Of32Bytes<TCopy>(crc1, ref part1, ref target1, scalarAt);
                crc2 = Crc32Of32Bytes<TCopy>(crc2, ref part2, ref target2, scalarAt);
                crc3 = Crc32Of32Bytes<TCopy>(crc3, ref part3, ref target3, scalarAt);
            }

            // The vectors' first round was their loads, so each chain has one round to go.
            crc1 = Crc32Of32Bytes<TCopy>(crc1, ref part1, ref target1, scalarAt);
            crc2 = Crc32Of32Bytes<TCopy>(crc2, ref part2, ref target2, scalarAt);
            crc3 = Crc32Of32Bytes<TCopy>(crc3, ref part3, ref target3, scalarAt);

            crc = Shift(Remainder(Join(y0, y1, y2, y3)), ShiftThreeScalarParts)
                ^ Shift(crc1, ShiftTwoScalarParts)
                ^ Shift(crc2, ShiftOneScalarPart)
                ^ crc3;

            block = ref Unsafe.Add(ref block, HybridBlock);
            target = ref Unsafe.Add(ref target, HybridBlock);
            left -= HybridBlock;
        }

        return crc;
    }

    /// <summary>Folding alone, four 256-bit accumulators; a multiple of 16 bytes, at least <see cref="MinLength"/>.</summary>
    internal static uint FoldingUpdate(uint crc, ReadOnlySpan<byte> data) =>
        FoldingUpdate<NoCopy>(crc, data, ref MemoryMarshal.GetReference(data));

    private static uint FoldingUpdate<TCopy>(uint crc, ReadOnlySpan<byte> data, ref byte target)
        where TCopy : struct, ICopy
    {
        Debug.Assert(data.Length >= MinLength && data.Length % 16 == 0, "Whole 16-byte blocks, at least one round.");
        ref byte next = ref MemoryMarshal.GetReference(data);
        nuint left = (nuint)data.Length;

        Vector256<ulong> y0 = LoadAndCopy<TCopy>(ref next, ref target, 0) ^ Vector256.CreateScalar((ulong)crc);
        Vector256<ulong> y1 = LoadAndCopy<TCopy>(ref next, ref target, 32);
        Vector256<ulong> y2 = LoadAndCopy<TCopy>(ref next, ref target, 64);
        Vector256<ulong> y3 = LoadAndCopy<TCopy>(ref next, ref target, 96);
        next = ref Unsafe.Add(ref next, 128);
        target = ref Unsafe.Add(ref target, 128);
        left -= 128;

        Vector256<ulong> by1024 = Vector256.Create(Fold1024High, Fold1024Low, Fold1024High, Fold1024Low);
        while (left >= 128)
        {
            y0 = Fold(y0, by1024) ^ LoadAndCopy<TCopy>(ref next, ref target, 0);
            y1 = Fold(y1, by1024) ^ LoadAndCopy<TCopy>(ref next, ref target, 32);
            y2 = Fold(y2, by1024) ^ LoadAndCopy<TCopy>(ref next, ref target, 64);
            y3 = Fold(y3, by1024) ^ LoadAndCopy<TCopy>(ref next, ref target, 96);
            next = ref Unsafe.Add(ref next, 128);
            target = ref Unsafe.Add(ref target, 128);
            left -= 128;
        }

        Vector128<ulong> x = Join(y0, y1, y2, y3);
        Vector128<ulong> by128 = Vector128.Create(Fold128High, Fold128Low);
        while (left != 0)
        {
            x = Fold(x, by128) ^ LoadAndCopy128<TCopy>(ref next, ref target);
            next = ref Unsafe.Add(ref next, 16);
            target = ref Unsafe.Add(ref target, 16);
            left -= 16;
        }

        return Remainder(x);
    }

    /// <summary>Four accumulators of adjacent 32-byte blocks, folded into the last 128-bit lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Join(Vector256<ulong> y0, Vector256<ulong> y1, Vector256<ulong> y2, Vector256<ulong> y3)
    {
        // Each 128-bit lane of y0, y1, y2 is 96, 64, 32 bytes before the matching lane of y3.
        y3 ^= Fold(y0, Vector256.Create(Fold768High, Fold768Low, Fold768High, Fold768Low))
            ^ Fold(y1, Vector256.Create(Fold512High, Fold512Low, Fold512High, Fold512Low))
            ^ Fold(y2, Vector256.Create(Fold256High, Fold256Low, Fold256High, Fold256Low));
        return Fold(y3.GetLower(), Vector128.Create(Fold128High, Fold128Low)) ^ y3.GetUpper();
    }

    /// <summary>Multiplies each 128-bit lane by x^D mod P, D given by the constant pair in <paramref name="by"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Fold(Vector256<ulong> value, Vector256<ulong> by) =>
        Pclmulqdq.V256.CarrylessMultiply(value, by, 0x00) ^ Pclmulqdq.V256.CarrylessMultiply(value, by, 0x11);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Fold(Vector128<ulong> value, Vector128<ulong> by) =>
        Pclmulqdq.CarrylessMultiply(value, by, 0x00) ^ Pclmulqdq.CarrylessMultiply(value, by, 0x11);

    /// <summary>The CRC register of a 128-bit value taken as 16 input bytes, from a zero register.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Remainder(Vector128<ulong> value) =>
        BitOperations.Crc32C(BitOperations.Crc32C(0u, value.ToScalar()), value.GetElement(1));

    /// <summary>
    /// A CRC register advanced over n zero bytes, <c>crc·x^(8n) mod P</c>, given
    /// <paramref name="by"/> = <c>x^(8n-33) mod P</c>. With the placements above their carry-less
    /// product is <c>crc·by·x^65</c>, all of it in the low 64 bits, which read as 8 input bytes
    /// stand for <c>crc·by·x</c>; a <c>crc32</c> over them from zero multiplies by <c>x^32</c> and
    /// reduces: <c>crc·by·x^33 = crc·x^(8n)</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Shift(uint crc, ulong by) =>
        BitOperations.Crc32C(0u, Pclmulqdq.CarrylessMultiply(Vector128.CreateScalar((ulong)crc), Vector128.CreateScalar(by), 0x00).ToScalar());

    /// <summary>Runs 32 bytes at <paramref name="at"/> + <paramref name="offset"/> through a <c>crc32</c> chain (and copies them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Crc32Of32Bytes<TCopy>(uint crc, ref byte at, ref byte target, nuint offset)
        where TCopy : struct, ICopy
    {
        ref byte start = ref Unsafe.Add(ref at, offset);
        TCopy.Copy32(ref start, ref Unsafe.Add(ref target, offset));
        crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref start));
        crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 8)));
        crc = BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 16)));
        return BitOperations.Crc32C(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, 24)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> LoadAndCopy<TCopy>(ref byte start, ref byte target, nuint offset)
        where TCopy : struct, ICopy
    {
        Vector256<ulong> loaded = Load256(ref start, offset);
        TCopy.Store(loaded, ref Unsafe.Add(ref target, offset));
        return loaded;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> LoadAndCopy128<TCopy>(ref byte start, ref byte target)
        where TCopy : struct, ICopy
    {
        Vector128<ulong> loaded = Load128(ref start, 0);
        TCopy.Store(loaded, ref target);
        return loaded;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Load256(ref byte start, nuint offset) =>
        Vector256.LoadUnsafe(ref start, offset).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Load128(ref byte start, nuint offset) =>
        Vector128.LoadUnsafe(ref start, offset).AsUInt64();

    /// <summary>
    /// What the loops do with each block they load, chosen at compile time (a struct type
    /// argument, so the JIT drops the stores of <see cref="NoCopy"/> entirely).
    /// </summary>
    private interface ICopy
    {
        static abstract void Store(Vector256<ulong> value, ref byte target);

        static abstract void Store(Vector128<ulong> value, ref byte target);

        /// <summary>Copies 32 bytes the <c>crc32</c> chains read as scalars.</summary>
        static abstract void Copy32(ref byte source, ref byte target);
    }

    private readonly struct NoCopy : ICopy
    {
        public static void Store(Vector256<ulong> value, ref byte target)
        {
        }

        public static void Store(Vector128<ulong> value, ref byte target)
        {
        }

        public static void Copy32(ref byte source, ref byte target)
        {
        }
    }

    private readonly struct Copy : ICopy
    {
        public static void Store(Vector256<ulong> value, ref byte target) => value.AsByte().StoreUnsafe(ref target);

        public static void Store(Vector128<ulong> value, ref byte target) => value.AsByte().StoreUnsafe(ref target);

        public static void Copy32(ref byte source, ref byte target) => Vector256.LoadUnsafe(ref source).StoreUnsafe(ref target);
    }
}
