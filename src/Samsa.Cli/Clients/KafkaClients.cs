using Confluent.Kafka;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Clients;

/// <summary>
/// Builds the Confluent.Kafka clients the tools use. librdkafka's own log lines ("%3|...|FAIL|...")
/// are dropped: Kafka's tools speak through their own messages, and an unreachable bootstrap
/// server is reported once by <see cref="BootstrapProbe"/> instead of once per retry.
/// </summary>
internal static class KafkaClients
{
    /// <summary>Every admin call gets this long; the tools never wait on a broker without a limit.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Creating, growing and deleting topics gets Kafka's admin default (default.api.timeout.ms,
    /// 60 s): a broker creating thousands of partitions' logs answers after that work, and a
    /// shorter limit reported a timeout for a topic that was then created.
    /// </summary>
    public static readonly TimeSpan TopicOperationTimeout = TimeSpan.FromSeconds(60);

    public static IAdminClient Admin(string bootstrapServers, IReadOnlyDictionary<string, string> properties)
    {
        var config = new AdminClientConfig { BootstrapServers = bootstrapServers, ClientId = "adminclient-1" };
        Apply(config, properties);
        config.BootstrapServers = bootstrapServers;
        try
        {
            return new AdminClientBuilder(config)
                .SetLogHandler(static (_, _) => { })
                .SetErrorHandler(static (_, _) => { })
                .Build();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        catch (KafkaException e)
        {
            throw new UsageException(e.Error.Reason);
        }
    }

    /// <summary>Copies user properties into a client config, skipping Java-only ones librdkafka would refuse.</summary>
    public static void Apply(ClientConfig config, IReadOnlyDictionary<string, string> properties)
    {
        foreach ((string key, string value) in properties)
        {
            if (!ClientProperties.IsJavaOnly(key))
            {
                config.Set(key, value);
            }
        }
    }
}
