using Confluent.Kafka;

namespace Samsa.Integration.Tests.Clients;

/// <summary>Client settings every test starts from: a fast, quiet librdkafka aimed at one broker process.</summary>
internal static class ClientConfigs
{
    public static AdminClientConfig Admin(string bootstrapServers) => new()
    {
        BootstrapServers = bootstrapServers,
        ClientId = "samsa-it-admin",
    };

    public static ProducerConfig Producer(string bootstrapServers) => new()
    {
        BootstrapServers = bootstrapServers,
        ClientId = "samsa-it-producer",
        Acks = Acks.All,
        LingerMs = 5,
        EnableIdempotence = false,
    };

    /// <summary>A consumer for Assign (no group protocol): the group id is required by the client but never used.</summary>
    public static ConsumerConfig Consumer(string bootstrapServers) => new()
    {
        BootstrapServers = bootstrapServers,
        ClientId = "samsa-it-consumer",
        GroupId = "samsa-it-unused",
        EnableAutoCommit = false,
        EnableAutoOffsetStore = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnablePartitionEof = true,
    };
}
