using CsCheck;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Records;

public class VarintPropertyTests
{
    [Fact]
    public void SignedInt_RoundTrips_WithPredictedSize()
    {
        Gen.Int.Sample(value =>
        {
            Span<byte> buffer = stackalloc byte[Varint.MaxLength32];
            int written = Varint.WriteSigned(buffer, value);
            Assert.Equal(Varint.SizeOfSigned(value), written);
            Assert.True(Varint.TryReadSigned(buffer[..written], out int read, out int consumed));
            Assert.Equal(value, read);
            Assert.Equal(written, consumed);
        });
    }

    [Fact]
    public void SignedLong_RoundTrips_WithPredictedSize()
    {
        Gen.Long.Sample(value =>
        {
            Span<byte> buffer = stackalloc byte[Varint.MaxLength64];
            int written = Varint.WriteSigned(buffer, value);
            Assert.Equal(Varint.SizeOfSigned(value), written);
            Assert.True(Varint.TryReadSigned(buffer[..written], out long read, out int consumed));
            Assert.Equal(value, read);
            Assert.Equal(written, consumed);
        });
    }

    [Fact]
    public void SignedLong_AnyStrictPrefix_FailsCleanly()
    {
        Gen.Long.Sample(value =>
        {
            Span<byte> buffer = stackalloc byte[Varint.MaxLength64];
            int written = Varint.WriteSigned(buffer, value);
            for (int cut = 0; cut < written; cut++)
            {
                Assert.False(Varint.TryReadSigned(buffer[..cut], out long _, out int _));
            }
        });
    }

    [Fact]
    public void ZigZag_SmallMagnitudes_UseOneByte()
    {
        Gen.Int[-64, 63].Sample(value => Assert.Equal(1, Varint.SizeOfSigned(value)));
    }

    [Fact]
    public void TryRead_OverlongEncodings_AreRejected()
    {
        // Six continuation bytes can never be a 32-bit varint, eleven never a 64-bit one.
        Assert.False(Varint.TryReadSigned([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], out int _, out int _));
        Assert.False(Varint.TryReadSigned([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], out long _, out int _));
    }
}
