using System.Globalization;
using System.Text.Json;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.ZNodes;

/// <summary>
/// /brokers/ids/&lt;id&gt; (ephemeral): a live broker's advertised endpoints. Its creation zxid is
/// the broker epoch. <c>{"version":5,"host":"h","port":9092,"endpoints":["PLAINTEXT://h:9092"],
/// "listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"jmx_port":-1,"timestamp":"...","features":{}}</c>
/// </summary>
internal sealed record BrokerRegistration(int BrokerId, IReadOnlyList<(string Listener, string Host, int Port)> Endpoints, string? Rack, long BrokerEpoch)
{
    public byte[] Encode(long timestampMs)
    {
        using var buffer = new PooledBufferWriter();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 5);
            (string _, string host, int port) = Endpoints.Count > 0 ? Endpoints[0] : (string.Empty, string.Empty, -1);
            json.WriteString("host", host);
            json.WriteNumber("port", port);
            json.WriteStartArray("endpoints");
            foreach ((string listener, string h, int p) in Endpoints)
            {
                json.WriteStringValue(string.Create(CultureInfo.InvariantCulture, $"{listener}://{h}:{p}"));
            }

            json.WriteEndArray();
            json.WriteStartObject("listener_security_protocol_map");
            foreach ((string listener, _, _) in Endpoints)
            {
                json.WriteString(listener, "PLAINTEXT");
            }

            json.WriteEndObject();
            json.WriteNumber("jmx_port", -1);
            json.WriteString("timestamp", timestampMs.ToString(CultureInfo.InvariantCulture));
            json.WriteStartObject("features");
            json.WriteEndObject();
            if (Rack is not null)
            {
                json.WriteString("rack", Rack);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static BrokerRegistration Decode(ReadOnlySpan<byte> data, long brokerEpoch, int? brokerId = null)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            var endpoints = new List<(string, string, int)>();
            foreach (JsonElement endpoint in root.GetProperty("endpoints").EnumerateArray())
            {
                string text = endpoint.GetString() ?? string.Empty;
                int scheme = text.IndexOf("://", StringComparison.Ordinal);
                int colon = text.LastIndexOf(':');
                if (scheme <= 0 || colon <= scheme + 2)
                {
                    throw new FormatException($"Bad endpoint '{text}'");
                }

                string host = text[(scheme + 3)..colon].Trim('[', ']');
                endpoints.Add((text[..scheme], host, int.Parse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture)));
            }

            string? rack = root.TryGetProperty("rack", out JsonElement r) ? r.GetString() : null;
            int id = brokerId ?? (root.TryGetProperty("broker_id", out JsonElement b) ? b.GetInt32() : -1);
            return new BrokerRegistration(id, endpoints, rack, brokerEpoch);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException("Malformed broker registration znode: " + e.Message, e);
        }
    }
}
