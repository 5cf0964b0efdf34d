using System.Text.Json;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.ZNodes;

/// <summary>
/// /log_dir_event_notification/log_dir_event_&lt;seq&gt;: a broker tells the controller that some of
/// its replicas went offline (Kafka's log-dir failure event, ZooKeeper mode):
/// <c>{"version":1,"broker":&lt;id&gt;,"event":1}</c>. The controller watches the children, asks that
/// broker about all its replicas with LeaderAndIsr (an offline one answers KAFKA_STORAGE_ERROR) and
/// deletes the notifications it handled.
/// </summary>
internal static class LogDirEventNotificationZNode
{
    /// <summary>The sequential node's path prefix; the store appends the 10-digit sequence number.</summary>
    public const string PathPrefix = ZkPaths.LogDirEventNotification + "/" + NamePrefix;

    public const string NamePrefix = "log_dir_event_";

    /// <summary>Kafka's only event type: a log dir (for us: a replica's log) failed.</summary>
    public const int LogDirFailureEvent = 1;

    public static string PathOf(string childName) => ZkPaths.LogDirEventNotification + "/" + childName;

    public static byte[] Encode(int brokerId)
    {
        using var buffer = new PooledBufferWriter();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            json.WriteNumber("broker", brokerId);
            json.WriteNumber("event", LogDirFailureEvent);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The broker id, or null for a notification we cannot read (deleted unhandled, as Kafka skips it).</summary>
    public static int? DecodeBrokerId(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("broker", out JsonElement broker)
                && broker.ValueKind == JsonValueKind.Number
                && broker.TryGetInt32(out int id)
                    ? id
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
