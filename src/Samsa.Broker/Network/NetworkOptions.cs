namespace Samsa.Broker.Network;

/// <summary>Limits that bound what one connection can make the broker hold.</summary>
internal sealed record NetworkOptions
{
    /// <summary>socket.request.max.bytes: a larger frame closes the connection before anything is allocated.</summary>
    public int SocketRequestMaxBytes { get; init; } = 104_857_600;

    /// <summary>
    /// Requests read but not yet answered, per connection. When the client stops reading
    /// responses the queue fills, the receive loop stops reading, and TCP pushes back.
    /// </summary>
    public int MaxInFlightRequestsPerConnection { get; init; } = 100;

    /// <summary>connections.max.idle.ms.</summary>
    public TimeSpan ConnectionsMaxIdle { get; init; } = TimeSpan.FromMinutes(10);
}
