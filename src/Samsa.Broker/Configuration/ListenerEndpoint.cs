using System.Globalization;

namespace Samsa.Broker.Configuration;

/// <summary>
/// One <c>NAME://host:port</c> entry of <c>listeners</c> or <c>advertised.listeners</c>. The name is
/// upper-cased as Kafka normalises it. An empty <see cref="Host"/> binds every interface; port 0 asks
/// the OS for a free port (tests), which the server learns after binding.
/// </summary>
public sealed record ListenerEndpoint(string Name, string Host, int Port)
{
    /// <summary>Kafka's form, with IPv6 hosts in brackets.</summary>
    public override string ToString() =>
        Host.Contains(':', StringComparison.Ordinal)
            ? $"{Name}://[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{Name}://{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Parses a comma-separated listener list. Throws <see cref="ConfigException"/> naming
    /// <paramref name="configName"/> for a malformed entry, a bad port or a repeated name.
    /// </summary>
    internal static IReadOnlyList<ListenerEndpoint> ParseList(string value, string configName)
    {
        var result = new List<ListenerEndpoint>();
        foreach (string raw in value.Split(','))
        {
            string entry = raw.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            ListenerEndpoint endpoint = Parse(entry, value, configName);
            foreach (ListenerEndpoint existing in result)
            {
                if (existing.Name == endpoint.Name)
                {
                    throw new ConfigException(configName, value, $"Each listener must have a different name; {endpoint.Name} appears more than once");
                }
            }

            result.Add(endpoint);
        }

        return result;
    }

    private static ListenerEndpoint Parse(string entry, string whole, string configName)
    {
        int schemeEnd = entry.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            throw Unparsable();
        }

        string name = entry[..schemeEnd].ToUpperInvariant();
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                throw Unparsable();
            }
        }

        string rest = entry[(schemeEnd + 3)..];
        string host;
        string portText;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= rest.Length || rest[close + 1] != ':')
            {
                throw Unparsable();
            }

            host = rest[1..close];
            portText = rest[(close + 2)..];
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            if (colon < 0)
            {
                throw Unparsable();
            }

            host = rest[..colon];
            portText = rest[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                throw Unparsable();
            }
        }

        foreach (char c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '%' or '.' or '_' or ':'))
            {
                throw Unparsable();
            }
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            throw new ConfigException(configName, whole, $"Invalid port '{portText}' in {entry}; a port is 0 to 65535 (0 = chosen by the OS)");
        }

        return new ListenerEndpoint(name, host, port);

        ConfigException Unparsable() =>
            new(configName, whole, $"Unable to parse {entry} to a broker endpoint; expected NAME://host:port, e.g. PLAINTEXT://localhost:9092");
    }
}
