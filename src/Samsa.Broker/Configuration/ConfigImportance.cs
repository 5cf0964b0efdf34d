namespace Samsa.Broker.Configuration;

/// <summary>Kafka's importance levels, shown in docs and DescribeConfigs.</summary>
internal enum ConfigImportance
{
    High,
    Medium,
    Low,
}
