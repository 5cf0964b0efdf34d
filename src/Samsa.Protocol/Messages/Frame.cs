using System.Buffers.Binary;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Messages;

/// <summary>
/// Kafka's connection framing: every request and response is an int32 size (big-endian, not
/// counting itself) followed by that many bytes of header and body.
/// </summary>
public static class Frame
{
    public const int SizePrefixLength = 4;

    /// <summary>
    /// Reads a frame's size prefix without consuming anything. NeedMoreData until four bytes are
    /// there; Invalid for a negative size or one above <paramref name="maxFrameSize"/>, which a
    /// broker answers by closing the connection before allocating anything.
    /// </summary>
    public static FrameStatus TryReadSize(ReadOnlySpan<byte> buffered, int maxFrameSize, out int size)
    {
        if (buffered.Length < SizePrefixLength)
        {
            size = 0;
            return FrameStatus.NeedMoreData;
        }

        size = BinaryPrimitives.ReadInt32BigEndian(buffered);
        return size < 0 || size > maxFrameSize ? FrameStatus.Invalid : FrameStatus.Complete;
    }

    /// <summary>Writes a whole request frame: size, header, body.</summary>
    public static void WriteRequest(PooledBufferWriter buffer, RequestHeader header, IRequestData body)
    {
        var writer = new ProtocolWriter(buffer);
        int start = writer.ReserveInt32();
        int bodyStart = writer.Position;
        header.Write(ref writer);
        body.Write(ref writer, header.ApiVersion);
        writer.PatchInt32(start, writer.Position - bodyStart);
    }

    /// <summary>Writes a whole response frame: size, header (version from the API), body.</summary>
    public static void WriteResponse(PooledBufferWriter buffer, int correlationId, IResponseData body, short apiVersion)
    {
        var writer = new ProtocolWriter(buffer);
        int start = writer.ReserveInt32();
        int bodyStart = writer.Position; // Position counts referenced fields (earlier frames' too); start does not
        var header = new ResponseHeader { CorrelationId = correlationId };
        header.Write(ref writer, ResponseHeader.HeaderVersionFor(body.ApiKey, apiVersion));
        body.Write(ref writer, apiVersion);
        writer.PatchInt32(start, writer.Position - bodyStart);
    }
}

/// <summary>What a look at the buffered bytes says about the next frame.</summary>
public enum FrameStatus
{
    NeedMoreData,
    Complete,
    Invalid,
}
