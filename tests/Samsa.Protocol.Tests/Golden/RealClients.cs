using System.Text;
using Confluent.Kafka;

namespace Samsa.Protocol.Tests.Golden;

/// <summary>
/// Drives Confluent.Kafka (librdkafka) against a <see cref="ScriptedKafkaServer"/>: one produce, or
/// one produce followed by one consume. Timeouts are short so a broken script fails a test in
/// seconds, and librdkafka's own logging is discarded so test output stays readable.
/// </summary>
internal static class RealClients
{
    public const string ClientId = "samsa-golden-client";
    public const string GroupId = "samsa-golden-group";
    public const string Key = "golden-key";
    public const int RequestTimeoutMs = 7000;
    public const int FetchWaitMaxMs = 150;

    private const int SocketTimeoutMs = 5000;
    private const int MessageTimeoutMs = 10000;

    /// <summary>Repetitive on purpose: librdkafka sends a batch uncompressed when compressing would
    /// not shrink it, and a compressed golden batch is the point.</summary>
    public static readonly string Value = string.Concat(Enumerable.Repeat("samsa golden value; ", 40));

    public static async Task<DeliveryResult<string, string>> ProduceOneAsync(
        ScriptedKafkaServer server, CompressionType compression, CancellationToken cancellationToken)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = server.BootstrapServers,
            ClientId = ClientId,
            CompressionType = compression,
            Acks = Acks.Leader,
            EnableIdempotence = false,
            LingerMs = 0,
            MessageTimeoutMs = MessageTimeoutMs,
            RequestTimeoutMs = RequestTimeoutMs,
            SocketTimeoutMs = SocketTimeoutMs,
            LogConnectionClose = false,
        };

        using IProducer<string, string> producer = new ProducerBuilder<string, string>(config)
            .SetLogHandler(static (_, _) => { })
            .SetErrorHandler(static (_, _) => { })
            .Build();
        try
        {
            return await producer.ProduceAsync(
                ScriptedKafkaServer.TopicName, new Message<string, string> { Key = Key, Value = Value }, cancellationToken);
        }
        catch (Exception e) when (e is ProduceException<string, string> or OperationCanceledException)
        {
            Assert.Fail($"produce failed: {e.Message}; {Describe(server)}");
            throw;
        }
    }

    /// <summary>Consumes the first record of the partition through a manual assignment from the
    /// beginning (so librdkafka asks ListOffsets where that is), with no group rebalancing.</summary>
    public static ConsumeResult<string, string> ConsumeFirst(ScriptedKafkaServer server, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = server.BootstrapServers,
            ClientId = ClientId,
            GroupId = GroupId,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            FetchWaitMaxMs = FetchWaitMaxMs,
            SocketTimeoutMs = SocketTimeoutMs,
            LogConnectionClose = false,
        };

        using IConsumer<string, string> consumer = new ConsumerBuilder<string, string>(config)
            .SetLogHandler(static (_, _) => { })
            .SetErrorHandler(static (_, _) => { })
            .Build();
        try
        {
            consumer.Assign(new TopicPartitionOffset(ScriptedKafkaServer.TopicName, ScriptedKafkaServer.PartitionIndex, Offset.Beginning));
            ConsumeResult<string, string> result = consumer.Consume(cancellationToken);
            consumer.Close();
            return result;
        }
        catch (Exception e) when (e is ConsumeException or OperationCanceledException)
        {
            Assert.Fail($"consume failed: {e.Message}; {Describe(server)}");
            throw;
        }
    }

    public static string Describe(ScriptedKafkaServer server)
    {
        var text = new StringBuilder();
        text.Append("captured: [").AppendJoin(", ", server.Captured).Append(']');
        text.Append("; unscripted: [").AppendJoin(", ", server.Unscripted).Append(']');
        text.Append("; faults: [").AppendJoin(" | ", server.Faults).Append(']');
        return text.ToString();
    }
}
