using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Golden;

/// <summary>
/// Decodes a whole request frame (size prefix, header, body) with our generated types and encodes
/// it back; the golden tests compare the two byte for byte.
/// </summary>
internal static class RequestFrameCodec
{
    public static (RequestHeader Header, IRequestData Body) Decode(byte[] frame)
    {
        Assert.True(frame.Length >= Frame.SizePrefixLength, "frame shorter than its size prefix");
        Assert.Equal(FrameStatus.Complete, Frame.TryReadSize(frame, int.MaxValue, out int size));
        Assert.Equal(frame.Length - Frame.SizePrefixLength, size);

        var reader = new ProtocolReader(frame.AsMemory(Frame.SizePrefixLength));
        var header = new RequestHeader();
        header.Read(ref reader);
        IRequestData? body = ApiMessageTable.CreateRequest(header.ApiKey);
        Assert.NotNull(body);
        body.Read(ref reader, header.ApiVersion);
        Assert.True(reader.End, $"{header.ApiKey} v{header.ApiVersion}: {reader.Remaining} bytes left unread");
        return (header, body);
    }

    public static byte[] Encode(RequestHeader header, IRequestData body)
    {
        using var buffer = new PooledBufferWriter();
        Frame.WriteRequest(buffer, header, body);
        return buffer.ToArray();
    }

    /// <summary>Decodes, re-encodes, asserts the bytes are identical, and returns the decoded parts.</summary>
    public static (RequestHeader Header, TBody Body) AssertRoundTrips<TBody>(byte[] frame)
        where TBody : IRequestData
    {
        (RequestHeader header, IRequestData body) = Decode(frame);
        byte[] encoded = Encode(header, body);
        AssertSameBytes(frame, encoded, $"{header.ApiKey} v{header.ApiVersion}");
        return (header, Assert.IsType<TBody>(body));
    }

    /// <summary>Like Assert.Equal on arrays, but names the first differing offset, which is what a
    /// codec bug report needs.</summary>
    public static void AssertSameBytes(byte[] expected, byte[] actual, string what)
    {
        int common = Math.Min(expected.Length, actual.Length);
        int firstDifference = expected.AsSpan(0, common).CommonPrefixLength(actual.AsSpan(0, common));
        if (firstDifference == common && expected.Length == actual.Length)
        {
            return;
        }

        Assert.Fail(
            $"{what}: re-encoded frame differs from the captured one at byte {firstDifference} " +
            $"(captured {expected.Length} bytes, re-encoded {actual.Length}); captured " +
            $"{Convert.ToHexString(Window(expected, firstDifference))}, re-encoded " +
            $"{Convert.ToHexString(Window(actual, firstDifference))}");
    }

    private static ReadOnlySpan<byte> Window(byte[] bytes, int at)
    {
        int start = Math.Min(at, bytes.Length);
        return bytes.AsSpan(start, Math.Min(16, bytes.Length - start));
    }
}
