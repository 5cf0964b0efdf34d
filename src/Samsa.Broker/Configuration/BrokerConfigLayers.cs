namespace Samsa.Broker.Configuration;

/// <summary>
/// Where this broker's config values come from, highest precedence first: its own dynamic configs
/// (/config/brokers/&lt;id&gt;), the cluster-wide dynamic defaults (/config/brokers/&lt;default&gt;),
/// server.properties (<see cref="BrokerOptions.Originals"/> of <see cref="Options"/>) and Kafka's
/// defaults. <see cref="Options"/> is the typed result the broker runs with; <see cref="Effective"/>
/// the merged key/value text it was built from. Immutable: a change makes a new instance.
/// </summary>
internal sealed record BrokerConfigLayers(
    BrokerOptions Options,
    IReadOnlyDictionary<string, string> PerBroker,
    IReadOnlyDictionary<string, string> ClusterDefaults,
    IReadOnlyDictionary<string, string> Effective)
{
    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>A broker with no dynamic configs: server.properties and defaults only.</summary>
    public static BrokerConfigLayers StaticOnly(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new BrokerConfigLayers(options, Empty, Empty, options.Originals);
    }
}
