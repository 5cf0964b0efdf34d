namespace Samsa.Broker.Configuration;

/// <summary>Where a described config value comes from: Kafka's <c>ConfigSource</c> ids, as DescribeConfigs sends them.</summary>
internal enum ConfigSource : sbyte
{
    Unknown = 0,
    DynamicTopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    StaticBrokerConfig = 4,
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6,
}
