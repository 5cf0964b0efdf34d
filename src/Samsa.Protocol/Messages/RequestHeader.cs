using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Messages;

/// <summary>
/// The header in front of every request body. v0: key, version, correlation id; v1 adds the client
/// id (a classic nullable string even in v2); v2 adds a tagged-field section. The version follows
/// from the API and its version, so a broker reads key and version first, then the rest.
/// </summary>
public sealed class RequestHeader
{
    public ApiKey ApiKey { get; set; }

    public short ApiVersion { get; set; }

    public int CorrelationId { get; set; }

    /// <summary>Null on the wire is kept as null; Kafka treats it like an empty id.</summary>
    public string? ClientId { get; set; } = string.Empty;

    public List<RawTaggedField>? UnknownTaggedFields { get; set; }

    /// <summary>
    /// Header version for an API version: 2 where the API version is flexible, else 1; 0 only for
    /// ControlledShutdown v0, which predates client ids. Unknown APIs get 1, the classic form.
    /// </summary>
    public static short HeaderVersionFor(ApiKey key, short apiVersion)
    {
        if (key == ApiKey.ControlledShutdown && apiVersion == 0)
        {
            return 0;
        }

        short firstFlexible = ApiMessageTable.FirstFlexibleVersion(key);
        return firstFlexible >= 0 && apiVersion >= firstFlexible ? (short)2 : (short)1;
    }

    public short HeaderVersion => HeaderVersionFor(ApiKey, ApiVersion);

    public void Read(ref ProtocolReader reader)
    {
        ApiKey = (ApiKey)reader.ReadInt16();
        ApiVersion = reader.ReadInt16();
        CorrelationId = reader.ReadInt32();
        short headerVersion = HeaderVersion;
        ClientId = headerVersion >= 1 ? reader.ReadNullableString(compact: false) : null;
        if (headerVersion >= 2)
        {
            int count = reader.ReadTaggedFieldCount();
            for (int i = 0; i < count; i++)
            {
                _ = reader.ReadTaggedField(out uint tag, out ReadOnlyMemory<byte> raw);
                (UnknownTaggedFields ??= []).Add(new RawTaggedField(tag, raw));
            }
        }
    }

    public void Write(ref ProtocolWriter writer)
    {
        short headerVersion = HeaderVersion;
        writer.WriteInt16((short)ApiKey);
        writer.WriteInt16(ApiVersion);
        writer.WriteInt32(CorrelationId);
        if (headerVersion >= 1)
        {
            writer.WriteNullableString(ClientId, compact: false);
        }

        if (headerVersion >= 2)
        {
            writer.WriteUnsignedVarint((uint)(UnknownTaggedFields?.Count ?? 0));
            int index = 0;
            TaggedFields.WriteUnknownBelow(ref writer, UnknownTaggedFields, uint.MaxValue, ref index);
        }
    }
}
