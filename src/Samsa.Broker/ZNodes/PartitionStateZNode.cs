using System.Text.Json;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.ZNodes;

/// <summary>
/// /brokers/topics/&lt;t&gt;/partitions/&lt;p&gt;/state: leader, leader epoch and ISR, written by the
/// controller with compare-and-set on the znode version (the partition epoch).
/// <c>{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}</c>
/// </summary>
internal sealed record PartitionStateZNode(int ControllerEpoch, int Leader, int LeaderEpoch, int[] Isr)
{
    /// <summary>Leader id meaning "no leader".</summary>
    public const int NoLeader = -1;

    public byte[] Encode()
    {
        using var buffer = new PooledBufferWriter();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("controller_epoch", ControllerEpoch);
            json.WriteNumber("leader", Leader);
            json.WriteNumber("version", 1);
            json.WriteNumber("leader_epoch", LeaderEpoch);
            json.WriteStartArray("isr");
            foreach (int replica in Isr)
            {
                json.WriteNumberValue(replica);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static PartitionStateZNode Decode(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            JsonElement isrElement = root.GetProperty("isr");
            var isr = new int[isrElement.GetArrayLength()];
            int i = 0;
            foreach (JsonElement replica in isrElement.EnumerateArray())
            {
                isr[i++] = replica.GetInt32();
            }

            return new PartitionStateZNode(
                root.GetProperty("controller_epoch").GetInt32(),
                root.GetProperty("leader").GetInt32(),
                root.GetProperty("leader_epoch").GetInt32(),
                isr);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException("Malformed partition state znode: " + e.Message, e);
        }
    }
}
