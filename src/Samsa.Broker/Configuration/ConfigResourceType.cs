namespace Samsa.Broker.Configuration;

/// <summary>The resource a config request is about: Kafka's <c>ConfigResource.Type</c> ids as sent on the wire.</summary>
internal enum ConfigResourceType : sbyte
{
    Unknown = 0,
    Topic = 2,
    Broker = 4,
    BrokerLogger = 8,
}
