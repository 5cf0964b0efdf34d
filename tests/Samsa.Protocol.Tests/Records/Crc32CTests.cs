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
