using Samsa.Protocol.Messages;

namespace Samsa.Protocol.Tests.Golden;

/// <summary>
/// One request frame exactly as a client sent it: the int32 size prefix, header and body. Bytes are
/// copied out of the connection's buffer, so a capture outlives the connection that received it.
/// </summary>
internal sealed class CapturedFrame
{
    public CapturedFrame(ApiKey apiKey, short apiVersion, byte[] bytes)
    {
        ApiKey = apiKey;
        ApiVersion = apiVersion;
        Bytes = bytes;
    }

    public ApiKey ApiKey { get; }

    public short ApiVersion { get; }

    /// <summary>The whole frame, size prefix included.</summary>
    public byte[] Bytes { get; }

    public override string ToString() => $"{ApiKey} v{ApiVersion} ({Bytes.Length} bytes)";
}
