namespace Samsa.Broker.Configuration;

/// <summary>
/// A part of the broker that applies dynamic broker configs while it runs (Kafka's
/// <c>BrokerReconfigurable</c>), e.g. the connection limits max.connections and
/// max.connections.per.ip. Registered with <see cref="DynamicBrokerConfig.Subscribe"/>; called
/// after every change of the effective options, on the thread that applied the change.
/// </summary>
internal interface IBrokerReconfigurable
{
    /// <summary>The effective options changed from <paramref name="previous"/> to <paramref name="current"/>.</summary>
    void Reconfigure(BrokerOptions previous, BrokerOptions current);
}
