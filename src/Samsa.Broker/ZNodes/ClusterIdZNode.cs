using System.Buffers;
using System.Text.Json;

namespace Samsa.Broker.ZNodes;

/// <summary>/cluster/id: <c>{"version":"1","id":"&lt;22-char id&gt;"}</c> (Kafka writes the version as a string).</summary>
internal static class ClusterIdZNode
{
    public static byte[] Encode(string clusterId)
    {
        // Utf8JsonWriter, not JsonSerializer: the serializer's reflection set-up cost a quarter of
        // the broker's first start (docs/benchmarks.md, "Latency and start-up").
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("version", "1");
            writer.WriteString("id", clusterId);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.GetProperty("id").GetString() ?? throw new InvalidDataException("Cluster id is null.");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException("Malformed /cluster/id znode: " + e.Message, e);
        }
    }
}
