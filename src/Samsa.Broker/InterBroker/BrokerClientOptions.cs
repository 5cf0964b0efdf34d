namespace Samsa.Broker.InterBroker;

/// <summary>Timeouts and limits of one inter-broker connection.</summary>
internal sealed record BrokerClientOptions
{
    /// <summary>Kafka's socket.connection.setup.timeout.ms default.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long one request may wait for its response (Kafka's request.timeout.ms for the controller
    /// channel, replica.socket.timeout.ms for fetchers). Must exceed a long-poll fetch's max wait.
    /// </summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A response larger than this is a protocol error, not an allocation.</summary>
    public int MaxResponseSize { get; init; } = 256 * 1024 * 1024;
}
