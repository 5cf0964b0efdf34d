using System.Globalization;
using System.Text.Json;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.ZNodes;

/// <summary>
/// /brokers/topics/&lt;t&gt;: a topic's id and its replica assignment per partition.
/// <c>{"version":3,"partitions":{"0":[1,2,3]},"adding_replicas":{},"removing_replicas":{},"topic_id":"..."}</c>
/// </summary>
internal sealed record TopicAssignmentZNode(Uuid TopicId, IReadOnlyDictionary<int, int[]> Partitions)
{
    public byte[] Encode()
    {
        using var buffer = new PooledBufferWriter();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 3);
            json.WriteStartObject("partitions");
            var ids = new List<int>(Partitions.Keys);
            ids.Sort();
            foreach (int id in ids)
            {
                json.WriteStartArray(id.ToString(CultureInfo.InvariantCulture));
                foreach (int replica in Partitions[id])
                {
                    json.WriteNumberValue(replica);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteStartObject("adding_replicas");
            json.WriteEndObject();
            json.WriteStartObject("removing_replicas");
            json.WriteEndObject();
            json.WriteString("topic_id", TopicId.ToString());
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static TopicAssignmentZNode Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            var partitions = new Dictionary<int, int[]>();
            foreach (JsonProperty partition in root.GetProperty("partitions").EnumerateObject())
            {
                var replicas = new int[partition.Value.GetArrayLength()];
                int i = 0;
                foreach (JsonElement replica in partition.Value.EnumerateArray())
                {
                    replicas[i++] = replica.GetInt32();
                }

                partitions[int.Parse(partition.Name, NumberStyles.None, CultureInfo.InvariantCulture)] = replicas;
            }

            Uuid topicId = root.TryGetProperty("topic_id", out JsonElement id) && Uuid.TryParse(id.GetString() ?? string.Empty, out Uuid parsed)
                ? parsed
                : Uuid.Zero;
            return new TopicAssignmentZNode(topicId, partitions);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException("Malformed topic assignment znode: " + e.Message, e);
        }
    }
}
