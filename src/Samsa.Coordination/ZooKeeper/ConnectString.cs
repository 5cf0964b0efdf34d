using System.Globalization;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// A parsed connect string, "h1:2181,h2:2182/chroot": the servers, shuffled once so that clients
/// spread over the ensemble (as ZooKeeper's StaticHostProvider does), and the chroot every path is
/// relative to. Paths cross the wire with the chroot in front; the server's paths (watch events,
/// created names) come back with it removed.
/// </summary>
internal sealed class ConnectString
{
    public const int DefaultPort = 2181;

    private ConnectString(IReadOnlyList<ZooKeeperEndpoint> servers, string? chroot)
    {
        Servers = servers;
        Chroot = chroot;
    }

    public IReadOnlyList<ZooKeeperEndpoint> Servers { get; }

    /// <summary>The chroot ("/samsa"), or null for none.</summary>
    public string? Chroot { get; }

    /// <exception cref="ArgumentException">The string names no server, has a bad port or an invalid chroot.</exception>
    public static ConnectString Parse(string connectString, Random? shuffle = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectString);
        string hosts = connectString.Trim();
        string? chroot = null;
        int slash = hosts.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            chroot = hosts[slash..];
            hosts = hosts[..slash];
            if (chroot == "/")
            {
                chroot = null;
            }
            else
            {
                try
                {
                    CoordinationPath.Validate(chroot);
                }
                catch (CoordinationException e)
                {
                    throw new ArgumentException($"Invalid chroot in connect string '{connectString}': {e.Message}", nameof(connectString), e);
                }
            }
        }

        var servers = new List<ZooKeeperEndpoint>();
        foreach (string part in hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            servers.Add(ParseHost(part, connectString));
        }

        if (servers.Count == 0)
        {
            throw new ArgumentException($"Connect string '{connectString}' names no server", nameof(connectString));
        }

        ZooKeeperEndpoint[] shuffled = [.. servers];
        (shuffle ?? Random.Shared).Shuffle(shuffled);
        return new ConnectString(shuffled, chroot);
    }

    /// <summary>The server's path for a client path: the chroot prepended ("/" maps to the chroot itself).</summary>
    public string ToServerPath(string clientPath)
    {
        if (Chroot is null)
        {
            return clientPath;
        }

        return clientPath == CoordinationPath.Root ? Chroot : Chroot + clientPath;
    }

    /// <summary>The client's path for a server path: the chroot removed. A path outside the chroot is returned as it is.</summary>
    public string ToClientPath(string serverPath)
    {
        if (Chroot is null || !serverPath.StartsWith(Chroot, StringComparison.Ordinal))
        {
            return serverPath;
        }

        if (serverPath.Length == Chroot.Length)
        {
            return CoordinationPath.Root;
        }

        return serverPath[Chroot.Length] == '/' ? serverPath[Chroot.Length..] : serverPath;
    }

    private static ZooKeeperEndpoint ParseHost(string part, string connectString)
    {
        string host = part;
        int port = DefaultPort;
        int colon = part.LastIndexOf(':');
        bool bracketed = part.StartsWith('[');
        if (bracketed)
        {
            // IPv6: "[::1]:2181".
            int close = part.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException($"Unclosed '[' in '{part}' of connect string '{connectString}'", nameof(connectString));
            }

            host = part[1..close];
            colon = part.IndexOf(':', close);
            if (colon > 0)
            {
                port = ParsePort(part[(colon + 1)..], part, connectString);
            }
        }
        else if (colon >= 0)
        {
            host = part[..colon];
            port = ParsePort(part[(colon + 1)..], part, connectString);
        }

        if (host.Length == 0)
        {
            throw new ArgumentException($"Empty host in '{part}' of connect string '{connectString}'", nameof(connectString));
        }

        return new ZooKeeperEndpoint(host, port);
    }

    private static int ParsePort(string text, string part, string connectString)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"Bad port in '{part}' of connect string '{connectString}'", nameof(connectString));
        }

        return port;
    }
}
