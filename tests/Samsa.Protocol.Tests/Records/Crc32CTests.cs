using CsCheck;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public class Crc32CTests
{
    /// <summary>The ways to CRC a buffer; each must agree with the bytewise reference on any input.</summary>
    public enum Path
    {
        /// <summary><see cref="Crc32C.Update"/>: what every caller gets (folding from the threshold on, where supported).</summary>
        Dispatch,

        /// <summary>The <c>crc32</c>-instruction path alone (ARM, CPUs without VPCLMULQDQ, short inputs, tails).</summary>
        Interleaved,

        /// <summary><see cref="Crc32CFolding.Update"/> from its minimum length on: hybrid blocks, then folding, then the tail.</summary>
        Folding,

        /// <summary>Folding alone (no hybrid blocks) over every whole 16-byte block, then the tail.</summary>
        FoldingAlone,

        /// <summary><see cref="Crc32C.UpdateAndCopy"/>: the CRC of the source, and an exact copy of it, nothing past it touched.</summary>
        Copying,
    }

    public static TheoryData<Path> Paths => [Path.Dispatch, Path.Interleaved, Path.Folding, Path.FoldingAlone, Path.Copying];

    private static readonly uint[] ReferenceTable = BuildReferenceTable();

    [Fact]
    public void Compute_CheckValue_MatchesCastagnoliStandard()
    {
        // The catalogued check value of CRC-32C (iSCSI) for "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Compute_Empty_IsZero() => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void FoldingConstants_AreReflectedPowersOfXModuloTheCastagnoliPolynomial()
    {
        // A fold over D bits multiplies the high 64-bit half by x^(D+31) mod P and the low half by
        // x^(D-33) mod P; advancing a register over n zero bytes multiplies by x^(8n-33) mod P (see
        // Crc32CFolding's remarks for the offsets).
        (int Bits, ulong High, ulong Low)[] folds =
        [
            (128, Crc32CFolding.Fold128High, Crc32CFolding.Fold128Low),
            (256, Crc32CFolding.Fold256High, Crc32CFolding.Fold256Low),
            (512, Crc32CFolding.Fold512High, Crc32CFolding.Fold512Low),
            (768, Crc32CFolding.Fold768High, Crc32CFolding.Fold768Low),
            (1024, Crc32CFolding.Fold1024High, Crc32CFolding.Fold1024Low),
        ];
        foreach ((int bits, ulong high, ulong low) in folds)
        {
            Assert.Equal(ReflectedPowerOfX(bits + 31), high);
            Assert.Equal(ReflectedPowerOfX(bits - 33), low);
        }

        int part = 8 * Crc32CFolding.HybridScalarBytes;
        Assert.Equal(Crc32CFolding.ShiftThreeScalarParts, ReflectedPowerOfX((3 * part) - 33));
        Assert.Equal(Crc32CFolding.ShiftTwoScalarParts, ReflectedPowerOfX((2 * part) - 33));
        Assert.Equal(Crc32CFolding.ShiftOneScalarPart, ReflectedPowerOfX(part - 33));
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void EveryLengthUpTo1024_AtUnalignedStarts_MatchesBytewiseReference(Path path)
    {
        SkipIfUnsupported(path);
        var buffer = new byte[1024 + 64];
        new Random(11).NextBytes(buffer);
        for (int length = 0; length <= 1024; length++)
        {
            // Every start 0..63 in turn: each alignment against 16- and 32-byte vector loads.
            ReadOnlySpan<byte> data = buffer.AsSpan(length % 64, length);
            Assert.Equal(Reference(data), ~Run(path, ~0u, data));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void LengthsAroundBlockAndLaneSizes_MatchBytewiseReference(Path path)
    {
        SkipIfUnsupported(path);
        int[] lengths =
        [
            Crc32C.FoldingThreshold - 1, Crc32C.FoldingThreshold, Crc32C.FoldingThreshold + 15,
            (3 * 8192) - 1, 3 * 8192, (3 * 8192) + (3 * 256) + 13,
            Crc32CFolding.HybridBlock - 1, Crc32CFolding.HybridBlock, (2 * Crc32CFolding.HybridBlock) + 127,
            (2 * Crc32CFolding.HybridBlock) + 128, 16_205, 1_043_285, 1_048_576 + 61,
        ];
        foreach (int length in lengths)
        {
            var data = new byte[length];
            new Random(length).NextBytes(data);
            Assert.Equal(Reference(data), ~Run(path, ~0u, data));
        }
    }

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void AnyLengthUpTo4MiB_AnyStart_AnySplit_MatchesBytewiseReference(Path path)
    {
        SkipIfUnsupported(path);

        // Half the cases up to 4 KiB (where thresholds and tails are), half up to 4 MiB; the bytes
        // come from a seeded Random so a failure shrinks on the four numbers alone. The same bytes
        // fed as two consecutive updates must give the same CRC (a raw register carried over).
        Gen<int> lengths = Gen.OneOf(Gen.Int[0, 4096], Gen.Int[0, 4 * 1024 * 1024]);
        Gen.Select(lengths, Gen.Int[0, 63], Gen.Int, Gen.Double[0, 1])
            .Sample((length, start, seed, splitAt) =>
            {
                var buffer = new byte[start + length];
                new Random(seed).NextBytes(buffer);
                ReadOnlySpan<byte> data = buffer.AsSpan(start);
                int split = (int)(splitAt * length);

                uint expected = Reference(data);
                Assert.Equal(expected, ~Run(path, ~0u, data));
                Assert.Equal(expected, ~Run(path, Run(path, ~0u, data[..split]), data[split..]));
            }, iter: 60);
    }

    private static void SkipIfUnsupported(Path path) =>
        Skip.If(path is Path.Folding or Path.FoldingAlone && !Crc32CFolding.IsSupported, "no VPCLMULQDQ on this CPU");

    private static uint Run(Path path, uint crc, ReadOnlySpan<byte> data)
    {
        switch (path)
        {
            case Path.Dispatch:
                return Crc32C.Update(crc, data);
            case Path.Folding when data.Length >= Crc32CFolding.MinLength:
                crc = Crc32CFolding.Update(crc, data, out int consumed);
                return Crc32C.UpdateInterleaved(crc, data[consumed..]);
            case Path.FoldingAlone when data.Length >= Crc32CFolding.MinLength:
                int blocks = data.Length & ~15;
                return Crc32C.UpdateInterleaved(Crc32CFolding.FoldingUpdate(crc, data[..blocks]), data[blocks..]);
            case Path.Copying:
                // Into the middle of a larger buffer, at an offset that varies with the length (so
                // with the alignment): nothing before or after the copy may change.
                const byte Untouched = 0xA5;
                int at = 64 + (data.Length % 32);
                var buffer = new byte[at + data.Length + 64];
                buffer.AsSpan().Fill(Untouched);
                crc = Crc32C.UpdateAndCopy(crc, data, buffer.AsSpan(at, data.Length + 32));
                Assert.True(data.SequenceEqual(buffer.AsSpan(at, data.Length)), "The copy differs from its source.");
                Assert.Equal(-1, buffer.AsSpan(0, at).IndexOfAnyExcept(Untouched));
                Assert.Equal(-1, buffer.AsSpan(at + data.Length).IndexOfAnyExcept(Untouched));
                return crc;
            default:
                return Crc32C.UpdateInterleaved(crc, data);
        }
    }

    // x^n mod P in the reflected representation (bit 31 - i holds the coefficient of x^i): start
    // from x^0 and multiply by x n times, one step of the bitwise CRC each.
    private static ulong ReflectedPowerOfX(int n)
    {
        uint value = 0x80000000;
        for (int i = 0; i < n; i++)
        {
            value = (value & 1) != 0 ? (value >> 1) ^ 0x82F63B78 : value >> 1;
        }

        return value;
    }

    // Reflected CRC-32C (polynomial 0x82F63B78) a byte at a time, with a table made by the bitwise
    // definition: slow but obviously right, and fast enough for 4 MiB inputs.
    private static uint Reference(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc = ReferenceTable[(byte)(crc ^ b)] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildReferenceTable()
    {
        var table = new uint[256];
        for (uint value = 0; value < 256; value++)
        {
            uint crc = value;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }

            table[value] = crc;
        }

        return table;
    }
}
