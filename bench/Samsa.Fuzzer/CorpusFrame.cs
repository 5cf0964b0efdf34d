using System.Buffers.Binary;
using Samsa.Protocol.Messages;

namespace Samsa.Fuzzer;

/// <summary>
/// One captured request: the frame's payload (header and body, without the size prefix) as a real
/// client sent it, and where its length fields and record batches are, for structure-aware mutations.
/// </summary>
public sealed class CorpusFrame
{
    public CorpusFrame(byte[] payload)
    {
        Payload = payload;
        ApiKey = (ApiKey)BinaryPrimitives.ReadInt16BigEndian(payload);
        ApiVersion = BinaryPrimitives.ReadInt16BigEndian(payload.AsSpan(2));
        Anatomy = FrameAnatomy.Of(payload);
    }

    /// <summary>Header (key, version, correlation id, client id, ...) and body.</summary>
    public byte[] Payload { get; }

    public ApiKey ApiKey { get; }

    public short ApiVersion { get; }

    public FrameAnatomy Anatomy { get; }
}
