using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Samsa.Cli.Tools;

/// <summary>
/// --print-metrics for the perf-test tools. The Java tools print the client's metric registry;
/// the equivalent here is librdkafka's statistics (statistics.interval.ms), kept as the latest
/// JSON document and printed in the layout of Kafka's ToolsUtils.printMetrics: a
/// "Metric Name   Value" header, then "group:name:{tags} : value" lines sorted by name, numbers
/// with three decimals. The names are librdkafka's statistics fields (see its STATISTICS.md),
/// grouped as client-wide ("producer-metrics"), per broker ("...-node-metrics", node-id tag) and
/// consumer group ("consumer-coordinator-metrics"); per-partition figures are left out.
/// </summary>
internal sealed class PerfTestMetrics
{
    /// <summary>How often librdkafka emits statistics while --print-metrics is on.</summary>
    public const int StatisticsIntervalMs = 500;

    private readonly Lock _lock = new();
    private string? _latest;
    private int _received;

    /// <summary>The statistics handler: keeps the newest document.</summary>
    public void OnStatistics(string json)
    {
        lock (_lock)
        {
            _latest = json;
            _received++;
        }
    }

    /// <summary>
    /// Waits (bounded) for one statistics document newer than the call, so the figures printed
    /// include the last deliveries, not a snapshot from up to one interval earlier.
    /// </summary>
    public void WaitForFresh(CancellationToken cancellationToken)
    {
        int seen;
        lock (_lock)
        {
            seen = _received;
        }

        long deadline = Environment.TickCount64 + (3 * StatisticsIntervalMs);
        while (Environment.TickCount64 < deadline && !cancellationToken.IsCancellationRequested)
        {
            lock (_lock)
            {
                if (_received > seen)
                {
                    return;
                }
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Prints the table; nothing when no statistics arrived.</summary>
    public void Print(TextWriter writer, string clientType)
    {
        string? json;
        lock (_lock)
        {
            json = _latest;
        }

        if (json is null)
        {
            return;
        }

        var rows = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (JsonDocument document = JsonDocument.Parse(json))
        {
            JsonElement root = document.RootElement;
            string clientId = root.TryGetProperty("client_id", out JsonElement id) ? id.GetString() ?? "" : "";
            AddScalars(rows, root, clientType + "-metrics", "{client-id=" + clientId + "}", "");
            if (root.TryGetProperty("brokers", out JsonElement brokers))
            {
                foreach (JsonProperty broker in brokers.EnumerateObject())
                {
                    if (!broker.Value.TryGetProperty("nodeid", out JsonElement node) || node.GetInt32() < 0)
                    {
                        continue; // bootstrap and logical brokers duplicate the real ones
                    }

                    string tags = "{client-id=" + clientId + ", node-id=node-" + node.GetInt32().ToString(CultureInfo.InvariantCulture) + "}";
                    AddScalars(rows, broker.Value, clientType + "-node-metrics", tags, "");
                }
            }

            if (root.TryGetProperty("cgrp", out JsonElement group))
            {
                AddScalars(rows, group, "consumer-coordinator-metrics", "{client-id=" + clientId + "}", "");
            }
        }

        int width = "Metric Name".Length;
        foreach (string name in rows.Keys)
        {
            width = Math.Max(width, name.Length);
        }

        var text = new StringBuilder();
        text.Append('\n').Append("Metric Name".PadRight(width)).Append("   Value\n");
        foreach ((string name, string value) in rows)
        {
            text.Append(name.PadRight(width)).Append(" : ").Append(value).Append('\n');
        }

        writer.Write(text.ToString());
        writer.Flush();
    }

    /// <summary>Numbers of one object (and of its nested window objects such as rtt.avg), as group:name:{tags}.</summary>
    private static void AddScalars(SortedDictionary<string, string> rows, JsonElement element, string group, string tags, string prefix)
    {
        foreach (JsonProperty property in element.EnumerateObject())
        {
            string name = prefix + property.Name;
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.Number:
                    rows[group + ":" + name + ":" + tags] = property.Value.GetDouble().ToString("F3", CultureInfo.InvariantCulture);
                    break;
                case JsonValueKind.Object when prefix.Length == 0 && IsWindow(property.Value):
                    AddScalars(rows, property.Value, group, tags, name + "-");
                    break;
            }
        }
    }

    /// <summary>librdkafka's rolling windows (rtt, int_latency, batchsize, ...) have min/max/avg.</summary>
    private static bool IsWindow(JsonElement element) =>
        element.TryGetProperty("avg", out _) && element.TryGetProperty("max", out _);
}
