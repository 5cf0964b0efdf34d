using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Configuration;

namespace Samsa.Broker.Network;

/// <summary>
/// Applies dynamic changes of <c>max.connections</c>, <c>max.connections.per.ip</c> and
/// <c>max.connections.per.ip.overrides</c> to the running listeners, as Kafka does: open
/// connections stay, new ones meet the new limits.
/// </summary>
internal sealed partial class ConnectionLimitsReconfiguration(SocketServer server, ILogger logger) : IBrokerReconfigurable
{
    public void Reconfigure(BrokerOptions previous, BrokerOptions current)
    {
        if (previous.MaxConnections == current.MaxConnections
            && previous.MaxConnectionsPerIp == current.MaxConnectionsPerIp
            && SameOverrides(previous.MaxConnectionsPerIpOverrides, current.MaxConnectionsPerIpOverrides))
        {
            return;
        }

        server.Quotas.UpdateLimits(current.MaxConnections, current.MaxConnectionsPerIp, Resolve(current.MaxConnectionsPerIpOverrides));
        LogLimitsChanged(logger, current.MaxConnections, current.MaxConnectionsPerIp, current.MaxConnectionsPerIpOverrides.Count);
    }

    /// <summary>Resolves host by host: a name that does not resolve now is skipped (and said), not fatal to the change.</summary>
    private Dictionary<IPAddress, int> Resolve(IReadOnlyDictionary<string, int> byHost)
    {
        var resolved = new Dictionary<IPAddress, int>();
        foreach ((string host, int limit) in byHost)
        {
            try
            {
                foreach ((IPAddress address, int value) in ConnectionQuotas.ResolveOverrides(new Dictionary<string, int> { [host] = limit }))
                {
                    resolved[address] = value;
                }
            }
            catch (SocketException e)
            {
                LogUnresolvable(logger, host, e.Message);
            }
        }

        return resolved;
    }

    private static bool SameOverrides(IReadOnlyDictionary<string, int> a, IReadOnlyDictionary<string, int> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach ((string host, int limit) in a)
        {
            if (!b.TryGetValue(host, out int other) || other != limit)
            {
                return false;
            }
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection limits changed: max.connections={MaxConnections}, max.connections.per.ip={MaxPerIp}, {Overrides} per-IP overrides")]
    private static partial void LogLimitsChanged(ILogger logger, int maxConnections, int maxPerIp, int overrides);

    [LoggerMessage(Level = LogLevel.Warning, Message = "max.connections.per.ip.overrides: host {Host} does not resolve ({Reason}); its override is not applied")]
    private static partial void LogUnresolvable(ILogger logger, string host, string reason);
}
