using Samsa.Protocol.Primitives;

namespace Samsa.LoadGenerator;

/// <summary>
/// Pieces shared by the Produce and Fetch response scanners. The scanners walk the flexible wire
/// format with <see cref="ProtocolReader"/> and skip what the generator does not need, instead of
/// decoding into the generated message classes: those allocate lists, strings and objects per
/// response, and the generator shares the machine's cores with the broker it measures.
/// </summary>
internal static class ResponseScanner
{
    /// <summary>Reads a v1 (flexible) response header and checks the correlation id.</summary>
    public static void ReadHeader(ref ProtocolReader reader, int expectedCorrelationId)
    {
        int correlationId = reader.ReadInt32();
        if (correlationId != expectedCorrelationId)
        {
            throw new IOException($"The broker answered correlation id {correlationId}, expected {expectedCorrelationId}.");
        }

        SkipTaggedFields(ref reader);
    }

    public static void SkipTaggedFields(ref ProtocolReader reader)
    {
        int count = reader.ReadTaggedFieldCount();
        for (int i = 0; i < count; i++)
        {
            _ = reader.ReadTaggedField(out _, out _);
        }
    }

    /// <summary>Skips a compact string or compact nullable string (same length encoding as bytes).</summary>
    public static void SkipCompactString(ref ProtocolReader reader) => _ = reader.ReadNullableBytes(compact: true);
}
