using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Samsa.Broker.ZNodes;

/// <summary>
/// /latest_producer_id_block: the last block of producer ids handed to a broker,
/// <c>{"version":1,"broker":1,"block_start":"0","block_end":"999"}</c> (Kafka writes the bounds as
/// strings). Brokers claim the next block with a compare-and-set on the znode version.
/// </summary>
internal static class ProducerIdBlockZNode
{
    public static byte[] Encode(int brokerId, long blockStart, long blockEnd) =>
        Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"version\":1,\"broker\":{brokerId},\"block_start\":\"{blockStart}\",\"block_end\":\"{blockEnd}\"}}"));

    /// <summary>The block's last id; the next block starts after it.</summary>
    public static long DecodeBlockEnd(ReadOnlySpan<byte> data)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement end = document.RootElement.GetProperty("block_end");

            // Kafka writes the bound as a string; accept a number too.
            return end.ValueKind == JsonValueKind.String
                ? long.Parse(end.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture)
                : end.GetInt64();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or OverflowException)
        {
            throw new InvalidDataException("Malformed /latest_producer_id_block znode: " + e.Message, e);
        }
    }
}
