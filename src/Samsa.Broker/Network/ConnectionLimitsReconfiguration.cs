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
            && DynamicBrokerConfig.SameContent(previous.MaxConnectionsPerIpOverrides, current.MaxConnectionsPerIpOverrides))
        {
            return;
        }

        // A name that does not resolve now is skipped (and said), not fatal to the change.
        server.Quotas.UpdateLimits(
            current.MaxConnections,
            current.MaxConnectionsPerIp,
            ConnectionQuotas.ResolveOverrides(current.MaxConnectionsPerIpOverrides, (host, e) => LogUnresolvable(logger, host, e.Message)));
        LogLimitsChanged(logger, current.MaxConnections, current.MaxConnectionsPerIp, current.MaxConnectionsPerIpOverrides.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection limits changed: max.connections={MaxConnections}, max.connections.per.ip={MaxPerIp}, {Overrides} per-IP overrides")]
    private static partial void LogLimitsChanged(ILogger logger, int maxConnections, int maxPerIp, int overrides);

    [LoggerMessage(Level = LogLevel.Warning, Message = "max.connections.per.ip.overrides: host {Host} does not resolve ({Reason}); its override is not applied")]
    private static partial void LogUnresolvable(ILogger logger, string host, string reason);
}
