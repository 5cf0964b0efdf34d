using System.Net;
using System.Net.Sockets;

namespace Samsa.Broker.Network;

/// <summary>
/// Counts open connections per client address and in total, as Kafka's <c>ConnectionQuotas</c>
/// does (SocketServer.scala). Two different answers when a limit is hit, both Kafka's:
/// <list type="bullet">
/// <item><c>max.connections</c> (all listeners together): the acceptor of a listener waits for a
/// slot before admitting the connection it holds; further clients wait in the kernel's accept
/// queue. The inter-broker listener is exempt when the broker has more than one listener, so
/// replication and the controller still get through (its connections still count toward the total).</item>
/// <item><c>max.connections.per.ip</c> and its overrides: the connection is refused (closed) at once.</item>
/// </list>
/// Thread-safe; every admitted connection must be given back with <see cref="Remove"/>.
/// </summary>
internal sealed class ConnectionQuotas
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _perAddress = [];
    private readonly ReleaseSignal _released = new();
    private volatile Limits _limits;
    private readonly string? _protectedListener;
    private int _total;

    /// <param name="protectedListener">The inter-broker listener when it is exempt from <paramref name="maxConnections"/>; else null.</param>
    public ConnectionQuotas(int maxConnections, int maxConnectionsPerIp, IReadOnlyDictionary<IPAddress, int> perIpOverrides, string? protectedListener)
    {
        _limits = new Limits(maxConnections, maxConnectionsPerIp, perIpOverrides);
        _protectedListener = protectedListener;
    }

    /// <summary>
    /// New limits from a dynamic broker config change (Kafka's max.connections* are dynamic):
    /// connections already open stay, new ones are admitted under the new limits, and acceptors
    /// waiting for a slot check again at once.
    /// </summary>
    public void UpdateLimits(int maxConnections, int maxConnectionsPerIp, IReadOnlyDictionary<IPAddress, int> perIpOverrides)
    {
        lock (_gate)
        {
            _limits = new Limits(maxConnections, maxConnectionsPerIp, perIpOverrides);
        }

        _released.Release();
    }

    /// <summary>Connections admitted and not yet removed, over all listeners.</summary>
    public int Total
    {
        get
        {
            lock (_gate)
            {
                return _total;
            }
        }
    }

    /// <summary>Connections admitted from <paramref name="address"/> and not yet removed.</summary>
    public int CountFor(IPAddress address)
    {
        lock (_gate)
        {
            return _perAddress.GetValueOrDefault(Normalize(address));
        }
    }

    /// <summary>The per-address limit that applies to <paramref name="address"/>.</summary>
    public int LimitFor(IPAddress address)
    {
        Limits limits = _limits;
        return limits.PerIpOverrides.TryGetValue(Normalize(address), out int limit) ? limit : limits.MaxPerIp;
    }

    /// <summary>
    /// Waits until the broker is below <c>max.connections</c> (unless <paramref name="listener"/> is
    /// exempt), then counts the connection, or refuses it (false, nothing counted) when its address
    /// is at its own limit.
    /// </summary>
    public async ValueTask<bool> AdmitAsync(string listener, IPAddress address, CancellationToken cancellationToken)
    {
        address = Normalize(address);
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (TryAdmitLocked(listener, address, out bool admitted))
                {
                    return admitted;
                }

                // Taken under the lock Remove also takes, so a slot freed after the check wakes us.
                released = _released.Next();
            }

            await released.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives back the slot of a connection <see cref="AdmitAsync"/> admitted.</summary>
    public void Remove(IPAddress address)
    {
        address = Normalize(address);
        lock (_gate)
        {
            int count = _perAddress.GetValueOrDefault(address);
            if (count <= 0)
            {
                throw new InvalidOperationException($"No admitted connection from {address} to remove.");
            }

            if (count == 1)
            {
                _perAddress.Remove(address);
            }
            else
            {
                _perAddress[address] = count - 1;
            }

            _total--;
        }

        _released.Release();
    }

    /// <summary>Resolves the host names of <c>max.connections.per.ip.overrides</c> to addresses, as Kafka does at start.</summary>
    /// <param name="onUnresolvable">Called for a host name that does not resolve, which is then skipped; without it the failure is thrown.</param>
    public static Dictionary<IPAddress, int> ResolveOverrides(IReadOnlyDictionary<string, int> byHost, Action<string, SocketException>? onUnresolvable = null)
    {
        var byAddress = new Dictionary<IPAddress, int>();
        foreach ((string host, int limit) in byHost)
        {
            if (IPAddress.TryParse(host, out IPAddress? address))
            {
                byAddress[Normalize(address)] = limit;
                continue;
            }

            // A name may have several addresses (localhost is 127.0.0.1 and ::1): each gets the limit.
            IPAddress[] addresses;
            try
            {
                addresses = Dns.GetHostAddresses(host);
            }
            catch (SocketException e) when (onUnresolvable is not null)
            {
                onUnresolvable(host, e);
                continue;
            }

            foreach (IPAddress resolved in addresses)
            {
                byAddress[Normalize(resolved)] = limit;
            }
        }

        return byAddress;
    }

    // A dual-mode listener reports IPv4 clients as ::ffff:a.b.c.d; count them as the IPv4 address.
    private static IPAddress Normalize(IPAddress address) =>
        address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private bool TryAdmitLocked(string listener, IPAddress address, out bool admitted)
    {
        admitted = false;
        Limits limits = _limits;
        if (_total >= limits.MaxConnections && !string.Equals(listener, _protectedListener, StringComparison.Ordinal))
        {
            return false; // wait for a slot
        }

        int count = _perAddress.GetValueOrDefault(address);
        if (count >= (limits.PerIpOverrides.TryGetValue(address, out int own) ? own : limits.MaxPerIp))
        {
            return true; // decided: refused
        }

        _perAddress[address] = count + 1;
        _total++;
        admitted = true;
        return true;
    }

    private sealed record Limits(int MaxConnections, int MaxPerIp, IReadOnlyDictionary<IPAddress, int> PerIpOverrides);
}
