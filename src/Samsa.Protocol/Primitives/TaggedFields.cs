namespace Samsa.Protocol.Primitives;

/// <summary>Support for generated encoders: writes preserved unknown tagged fields in tag order.</summary>
public static class TaggedFields
{
    /// <summary>
    /// Writes unknown fields from <paramref name="index"/> on while their tag is below
    /// <paramref name="limit"/>, so known and unknown tags come out in ascending order.
    /// </summary>
    public static void WriteUnknownBelow(ref ProtocolWriter writer, List<RawTaggedField>? unknown, uint limit, ref int index)
    {
        if (unknown is null)
        {
            return;
        }

        while (index < unknown.Count && unknown[index].Tag < limit)
        {
            RawTaggedField field = unknown[index++];
            writer.WriteTaggedField(field.Tag, field.Value.Span);
        }
    }
}
