using System.Text.Json;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.ZNodes;

/// <summary>
/// /config/topics/&lt;t&gt; (and /config/brokers/&lt;id&gt;): dynamic config overrides as strings.
/// <c>{"version":1,"config":{"retention.ms":"1000"}}</c>
/// </summary>
internal sealed record ConfigZNode(IReadOnlyDictionary<string, string> Config)
{
    public byte[] Encode()
    {
        using var buffer = new PooledBufferWriter();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            json.WriteStartObject("config");
            var keys = new List<string>(Config.Keys);
            keys.Sort(StringComparer.Ordinal);
            foreach (string key in keys)
            {
                json.WriteString(key, Config[key]);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static ConfigZNode Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            var config = new Dictionary<string, string>(StringComparer.Ordinal);
            if (document.RootElement.TryGetProperty("config", out JsonElement entries))
            {
                foreach (JsonProperty entry in entries.EnumerateObject())
                {
                    config[entry.Name] = entry.Value.GetString() ?? string.Empty;
                }
            }

            return new ConfigZNode(config);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException("Malformed config znode: " + e.Message, e);
        }
    }
}
