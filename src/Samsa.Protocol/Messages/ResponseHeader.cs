using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Messages;

/// <summary>
/// The header in front of every response body: the request's correlation id, plus (v1) a
/// tagged-field section when the API version is flexible. ApiVersions always answers with v0 so a
/// client that does not yet know the broker's versions can parse it.
/// </summary>
public sealed class ResponseHeader
{
    public int CorrelationId { get; set; }

    public List<RawTaggedField>? UnknownTaggedFields { get; set; }

    public static short HeaderVersionFor(ApiKey key, short apiVersion)
    {
        if (key == ApiKey.ApiVersions)
        {
            return 0;
        }

        short firstFlexible = ApiMessageTable.FirstFlexibleVersion(key);
        return firstFlexible >= 0 && apiVersion >= firstFlexible ? (short)1 : (short)0;
    }

    public void Read(ref ProtocolReader reader, short headerVersion)
    {
        CorrelationId = reader.ReadInt32();
        if (headerVersion >= 1)
        {
            int count = reader.ReadTaggedFieldCount();
            for (int i = 0; i < count; i++)
            {
                _ = reader.ReadTaggedField(out uint tag, out ReadOnlyMemory<byte> raw);
                (UnknownTaggedFields ??= []).Add(new RawTaggedField(tag, raw));
            }
        }
    }

    public void Write(ref ProtocolWriter writer, short headerVersion)
    {
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1)
        {
            writer.WriteUnsignedVarint((uint)(UnknownTaggedFields?.Count ?? 0));
            int index = 0;
            TaggedFields.WriteUnknownBelow(ref writer, UnknownTaggedFields, uint.MaxValue, ref index);
        }
    }
}
