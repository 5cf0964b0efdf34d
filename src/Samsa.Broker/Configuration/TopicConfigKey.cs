using Samsa.Storage;

namespace Samsa.Broker.Configuration;

/// <summary>
/// One row of <see cref="TopicConfigDefinition"/>: a topic-level key (name, type, Kafka's code
/// default, validator and documentation, as a <see cref="ConfigKey"/>), the broker keys that give
/// it its default when a topic has no override (first one = Kafka's synonym, then its unit
/// variants, e.g. <c>log.retention.ms</c>, <c>.minutes</c>, <c>.hours</c>), the broker's effective
/// value, and how an override changes the <see cref="LogConfig"/> a partition log runs with.
/// </summary>
/// <param name="BrokerDefault">The value topics without an override get from server.properties (typed like <see cref="ConfigKey.Parse"/>).</param>
/// <param name="ApplyTo">Sets the parsed override on a log config; null when the log does not act on the key (the broker does, or nothing yet).</param>
internal sealed record TopicConfigKey(
    ConfigKey Key,
    IReadOnlyList<string> BrokerSynonyms,
    Func<BrokerOptions, object> BrokerDefault,
    Func<LogConfig, object, LogConfig>? ApplyTo)
{
    public string Name => Key.Name;
}
