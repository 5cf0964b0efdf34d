using System.Buffers.Binary;

namespace Samsa.Integration.Tests.Network;

/// <summary>An ApiVersions response read by hand (header v0 always), v0 or v3 body layout.</summary>
internal sealed record ApiVersionsResponse(int CorrelationId, short ErrorCode, IReadOnlyDictionary<short, (short Min, short Max)> ApiKeys)
{
    public static ApiVersionsResponse ParseV0(byte[] frame)
    {
        ReadOnlySpan<byte> span = frame;
        int correlationId = BinaryPrimitives.ReadInt32BigEndian(span);
        short error = BinaryPrimitives.ReadInt16BigEndian(span[4..]);
        int count = BinaryPrimitives.ReadInt32BigEndian(span[6..]);
        var keys = new Dictionary<short, (short, short)>();
        int at = 10;
        for (int i = 0; i < count; i++, at += 6)
        {
            keys[BinaryPrimitives.ReadInt16BigEndian(span[at..])] = (BinaryPrimitives.ReadInt16BigEndian(span[(at + 2)..]), BinaryPrimitives.ReadInt16BigEndian(span[(at + 4)..]));
        }

        if (at != frame.Length)
        {
            throw new InvalidDataException($"ApiVersions v0 response has {frame.Length - at} bytes after its key table.");
        }

        return new ApiVersionsResponse(correlationId, error, keys);
    }

    public static ApiVersionsResponse ParseV3(byte[] frame)
    {
        ReadOnlySpan<byte> span = frame;
        int correlationId = BinaryPrimitives.ReadInt32BigEndian(span);
        short error = BinaryPrimitives.ReadInt16BigEndian(span[4..]);
        int at = 6;
        int count = (int)ReadUnsignedVarint(span, ref at) - 1;
        var keys = new Dictionary<short, (short, short)>();
        for (int i = 0; i < count; i++)
        {
            keys[BinaryPrimitives.ReadInt16BigEndian(span[at..])] = (BinaryPrimitives.ReadInt16BigEndian(span[(at + 2)..]), BinaryPrimitives.ReadInt16BigEndian(span[(at + 4)..]));
            at += 6;
            SkipTags(span, ref at);
        }

        at += 4; // throttle time
        SkipTags(span, ref at);
        if (at != frame.Length)
        {
            throw new InvalidDataException($"ApiVersions v3 response has {frame.Length - at} unread bytes.");
        }

        return new ApiVersionsResponse(correlationId, error, keys);
    }

    private static void SkipTags(ReadOnlySpan<byte> span, ref int at)
    {
        uint tags = ReadUnsignedVarint(span, ref at);
        for (uint t = 0; t < tags; t++)
        {
            ReadUnsignedVarint(span, ref at);
            at += (int)ReadUnsignedVarint(span, ref at);
        }
    }

    private static uint ReadUnsignedVarint(ReadOnlySpan<byte> span, ref int at)
    {
        uint value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            byte b = span[at++];
            value |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("Unsigned varint longer than 5 bytes.");
    }
}
