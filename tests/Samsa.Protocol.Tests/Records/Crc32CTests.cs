using CsCheck;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public class Crc32CTests
{
    [Fact]
    public void Compute_CheckValue_MatchesCastagnoliStandard()
    {
        // The catalogued check value of CRC-32C (iSCSI) for "123456789".
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    [Fact]
    public void Compute_Empty_IsZero() => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void Compute_EveryLengthAroundChunkSize_MatchesBytewiseReference()
    {
        var data = new byte[40];
        new Random(7).NextBytes(data);
        for (int length = 0; length <= data.Length; length++)
        {
            Assert.Equal(Reference(data.AsSpan(0, length)), Crc32C.Compute(data.AsSpan(0, length)));
        }
    }

    [Theory]
    [InlineData(767)]
    [InlineData(768)]
    [InlineData(769)]
    [InlineData(3 * 8192 - 1)]
    [InlineData(3 * 8192)]
    [InlineData(3 * 8192 + 3 * 256 + 13)]
    [InlineData(1_048_576 + 61)]
    public void Compute_InterleavedBlocks_MatchBytewiseReference(int length)
    {
        // Lengths at and around the three-block thresholds, where the blocks' CRCs are joined.
        var data = new byte[length];
        new Random(length).NextBytes(data);
        Assert.Equal(Reference(data), Crc32C.Compute(data));
    }

    [Fact]
    public void Compute_AnyLengthAndSplit_MatchesBytewiseReference()
    {
        // Random lengths up to 80 KiB, and the same bytes fed as two consecutive updates.
        Gen.Int[0, 80 * 1024].SelectMany(n => Gen.Byte.Array[n].Select(Gen.Int[0, n], (bytes, split) => (bytes, split)))
            .Sample((input) =>
            {
                (byte[] bytes, int split) = input;
                uint expected = Reference(bytes);
                Assert.Equal(expected, Crc32C.Compute(bytes));
                Assert.Equal(expected, ~Crc32C.Update(Crc32C.Update(~0u, bytes.AsSpan(0, split)), bytes.AsSpan(split)));
            }, iter: 200);
    }

    // Bitwise reflected CRC-32C with polynomial 0x82F63B78: slow but obviously right.
    private static uint Reference(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
            }
        }

        return ~crc;
    }
}
