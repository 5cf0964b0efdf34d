using System.Text.Json;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.ZNodes;

/// <summary>
/// /config/changes/config_change_&lt;seq&gt;: tells every broker that an entity's dynamic config
/// changed (Kafka's version 2 notification): <c>{"version":2,"entity_path":"topics/&lt;t&gt;"}</c>.
/// Brokers watch the children of /config/changes and reload the named entity.
/// </summary>
internal static class ConfigChangeZNode
{
    /// <summary>The sequential node's path prefix; the store appends the 10-digit sequence number.</summary>
    public const string PathPrefix = ZkPaths.ConfigChanges + "/" + NamePrefix;

    public const string NamePrefix = "config_change_";

    /// <summary>The entity path of a topic's config (relative to /config).</summary>
    public const string TopicsEntityPrefix = "topics/";

    public static byte[] Encode(string entityPath)
    {
        using var buffer = new PooledBufferWriter();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 2);
            json.WriteString("entity_path", entityPath);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The entity path, or null for a notification we cannot read (ignored, as Kafka logs and skips it).</summary>
    public static string? DecodeEntityPath(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("entity_path", out JsonElement path)
                && path.ValueKind == JsonValueKind.String
                    ? path.GetString()
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The sequence number of a child name (config_change_0000000012 → 12), or -1.</summary>
    public static long SequenceOf(string childName) =>
        childName.StartsWith(NamePrefix, StringComparison.Ordinal)
        && long.TryParse(childName.AsSpan(NamePrefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long sequence)
            ? sequence
            : -1;
}
