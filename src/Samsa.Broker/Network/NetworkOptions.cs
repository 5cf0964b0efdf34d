using Samsa.Broker.Configuration;

namespace Samsa.Broker.Network;

/// <summary>Limits that bound what clients can make the broker hold: connections, requests and bytes.</summary>
internal sealed record NetworkOptions
{
    /// <summary>socket.request.max.bytes: a larger frame closes the connection before anything is allocated.</summary>
    public int SocketRequestMaxBytes { get; init; } = 104_857_600;

    /// <summary>
    /// Requests read but not yet answered, per connection. When the client stops reading
    /// responses the queue fills, the receive loop stops reading, and TCP pushes back.
    /// </summary>
    public int MaxInFlightRequestsPerConnection { get; init; } = 100;

    /// <summary>
    /// Bytes one connection may hold before it reads another request: frames of its unanswered
    /// requests plus response data not yet written to its socket. A client that sends but never
    /// reads stops being read once this is reached. One request or response may overshoot it (a
    /// connection with nothing held always reads its next request), so it is no cap on sizes.
    /// </summary>
    public long MaxBufferedBytesPerConnection { get; init; } = 16L * 1024 * 1024;

    /// <summary>connections.max.idle.ms; <see cref="Timeout.InfiniteTimeSpan"/> never closes idle connections.</summary>
    public TimeSpan ConnectionsMaxIdle { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>max.connections, over all listeners.</summary>
    public int MaxConnections { get; init; } = int.MaxValue;

    /// <summary>max.connections.per.ip.</summary>
    public int MaxConnectionsPerIp { get; init; } = int.MaxValue;

    /// <summary>max.connections.per.ip.overrides, by host name or address as written.</summary>
    public IReadOnlyDictionary<string, int> MaxConnectionsPerIpOverrides { get; init; } = new Dictionary<string, int>();

    /// <summary>inter.broker.listener.name: exempt from max.connections when there are several listeners.</summary>
    public string InterBrokerListenerName { get; init; } = "PLAINTEXT";

    /// <summary>queued.max.requests, broker-wide.</summary>
    public int QueuedMaxRequests { get; init; } = 500;

    /// <summary>queued.max.request.bytes, broker-wide; non-positive means no byte limit.</summary>
    public long QueuedMaxRequestBytes { get; init; } = -1;

    /// <summary>The network limits of a broker configuration.</summary>
    public static NetworkOptions From(BrokerOptions options) => new()
    {
        SocketRequestMaxBytes = options.SocketRequestMaxBytes,
        ConnectionsMaxIdle = options.ConnectionsMaxIdleMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(options.ConnectionsMaxIdleMs),
        MaxConnections = options.MaxConnections,
        MaxConnectionsPerIp = options.MaxConnectionsPerIp,
        MaxConnectionsPerIpOverrides = options.MaxConnectionsPerIpOverrides,
        InterBrokerListenerName = options.InterBrokerListenerName,
        QueuedMaxRequests = options.QueuedMaxRequests,
        QueuedMaxRequestBytes = options.QueuedMaxRequestBytes,
    };
}
