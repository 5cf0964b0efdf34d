using System.Globalization;

namespace Samsa.Broker.Configuration;

/// <summary>Validation of the connection and request-memory limits (the keys that depend on each other).</summary>
public sealed partial record BrokerOptions
{
    /// <summary>
    /// <c>max.connections.per.ip</c> and its overrides. As in Kafka, the default may be 0 (reject
    /// everyone) only when overrides name the hosts that may connect.
    /// </summary>
    private static int ValidMaxConnectionsPerIp(Values v, out Dictionary<string, int> overrides)
    {
        string text = v.String(BrokerConfigDefinition.MaxConnectionsPerIpOverrides) ?? string.Empty;
        overrides = ParsePerIpOverrides(text);
        int perIp = v.Int(BrokerConfigDefinition.MaxConnectionsPerIp);
        if (perIp == 0 && overrides.Count == 0)
        {
            throw new ConfigException(BrokerConfigDefinition.MaxConnectionsPerIp, Text(perIp), $"Value can be 0 only if {BrokerConfigDefinition.MaxConnectionsPerIpOverrides} is set");
        }

        return perIp;
    }

    /// <summary>"host:count,..."; the last colon splits, so an IPv6 address works as a host.</summary>
    private static Dictionary<string, int> ParsePerIpOverrides(string text)
    {
        var overrides = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (string raw in text.Split(','))
        {
            string entry = raw.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            int colon = entry.LastIndexOf(':');
            if (colon <= 0
                || !int.TryParse(entry.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int count))
            {
                throw new ConfigException(BrokerConfigDefinition.MaxConnectionsPerIpOverrides, text, $"Entry '{entry}' is not host:count with a count of at least 0");
            }

            overrides[entry[..colon].Trim()] = count;
        }

        return overrides;
    }

    /// <summary>
    /// <c>queued.max.request.bytes</c>: non-positive means unbounded; a bound smaller than one
    /// request could never admit the largest allowed request, so Kafka refuses it and so do we.
    /// </summary>
    private static long ValidQueuedMaxRequestBytes(Values v)
    {
        long bytes = v.Long(BrokerConfigDefinition.QueuedMaxRequestBytes);
        int frame = v.Int(BrokerConfigDefinition.SocketRequestMaxBytes);
        if (bytes > 0 && bytes < frame)
        {
            throw new ConfigException(BrokerConfigDefinition.QueuedMaxRequestBytes, Text(bytes), $"Value must be -1 or at least {BrokerConfigDefinition.SocketRequestMaxBytes} ({Text(frame)})");
        }

        return bytes <= 0 ? -1 : bytes;
    }
}
