using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Samsa.Fuzzer;

/// <summary>
/// The client workload whose requests become the corpus: Confluent.Kafka's admin client, producers
/// (idempotent, every compression codec, keys and headers) and consumers (classic group, KIP-848
/// group, assigned partitions, offsets by time), all through the recording proxy. Each step is best
/// effort: what matters is the frames the client sent, not whether every call succeeded.
/// </summary>
public static class CorpusCapture
{
    public const string TopicA = "fuzz-capture-a";
    public const string TopicB = "fuzz-capture-b";
    private const string DoomedTopic = "fuzz-capture-doomed";
    private const string Group = "fuzz-capture-group";
    private const string NewProtocolGroup = "fuzz-capture-group-848";
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(10);

    public static async Task RunAsync(string bootstrapServers, Action<string> log, CancellationToken cancellationToken)
    {
        await AdminAsync(bootstrapServers, log).ConfigureAwait(false);
        foreach (CompressionType codec in new[] { CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd })
        {
            await ProduceAsync(bootstrapServers, codec, log, cancellationToken).ConfigureAwait(false);
        }

        await Task.Run(() => ConsumeInGroup(bootstrapServers, GroupProtocol.Classic, Group, log, cancellationToken), cancellationToken).ConfigureAwait(false);
        await Task.Run(() => ConsumeInGroup(bootstrapServers, GroupProtocol.Consumer, NewProtocolGroup, log, cancellationToken), cancellationToken).ConfigureAwait(false);
        await Task.Run(() => ConsumeAssigned(bootstrapServers, log), cancellationToken).ConfigureAwait(false);
        await AdminAfterAsync(bootstrapServers, log).ConfigureAwait(false);
    }

    private static async Task AdminAsync(string bootstrapServers, Action<string> log)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers, ClientId = "fuzz-capture-admin" }).Build();
        var options = new CreateTopicsOptions { RequestTimeout = StepTimeout };
        await Step(log, "create topics", () => admin.CreateTopicsAsync(
        [
            new TopicSpecification { Name = TopicA, NumPartitions = 3, ReplicationFactor = 1 },
            new TopicSpecification
            {
                Name = TopicB,
                NumPartitions = 1,
                ReplicationFactor = 1,
                Configs = new Dictionary<string, string> { ["cleanup.policy"] = "delete", ["retention.ms"] = "600000", ["max.message.bytes"] = "200000" },
            },
            new TopicSpecification { Name = DoomedTopic, NumPartitions = 1, ReplicationFactor = 1 },
        ], options)).ConfigureAwait(false);
        await Step(log, "describe cluster", () => admin.DescribeClusterAsync()).ConfigureAwait(false);
        await Step(log, "describe topics", () => admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([TopicA, TopicB]))).ConfigureAwait(false);
        await Step(log, "describe configs", () => admin.DescribeConfigsAsync(
        [
            new ConfigResource { Type = ResourceType.Topic, Name = TopicB },
            new ConfigResource { Type = ResourceType.Broker, Name = "0" },
        ])).ConfigureAwait(false);
        await Step(log, "alter configs", () => admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [new ConfigResource { Type = ResourceType.Topic, Name = TopicB }] = [new ConfigEntry { Name = "retention.ms", Value = "700000", IncrementalOperation = AlterConfigOpType.Set }],
        })).ConfigureAwait(false);
        await Step(log, "create partitions", () => admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = TopicB, IncreaseTo = 2 }])).ConfigureAwait(false);
        await Step(log, "delete topic", () => admin.DeleteTopicsAsync([DoomedTopic])).ConfigureAwait(false);
    }

    private static async Task AdminAfterAsync(string bootstrapServers, Action<string> log)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers, ClientId = "fuzz-capture-admin" }).Build();
        await Step(log, "list groups", () => admin.ListConsumerGroupsAsync()).ConfigureAwait(false);
        await Step(log, "describe groups", () => admin.DescribeConsumerGroupsAsync([Group, NewProtocolGroup])).ConfigureAwait(false);
        await Step(log, "list group offsets", () => admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(Group, null)])).ConfigureAwait(false);
        await Step(log, "list offsets", () => admin.ListOffsetsAsync(
        [
            new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(TopicA, 0), OffsetSpec = OffsetSpec.Earliest() },
            new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(TopicA, 1), OffsetSpec = OffsetSpec.Latest() },
            new TopicPartitionOffsetSpec { TopicPartition = new TopicPartition(TopicA, 2), OffsetSpec = OffsetSpec.MaxTimestamp() },
        ])).ConfigureAwait(false);
        await Step(log, "delete records", () => admin.DeleteRecordsAsync([new TopicPartitionOffset(TopicB, 0, 1)])).ConfigureAwait(false);
        await Step(log, "delete group offsets", () => admin.DeleteConsumerGroupOffsetsAsync(Group, [new TopicPartition(TopicA, 2)])).ConfigureAwait(false);
    }

    private static async Task ProduceAsync(string bootstrapServers, CompressionType codec, Action<string> log, CancellationToken cancellationToken)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "fuzz-capture-producer",
            Acks = Acks.All,
            EnableIdempotence = codec != CompressionType.None,
            CompressionType = codec,
            LingerMs = 5,
        };
        using IProducer<string, string> producer = new ProducerBuilder<string, string>(config).Build();
        var deliveries = new List<Task>();
        for (int i = 0; i < 12; i++)
        {
            var message = new Message<string, string>
            {
                Key = i % 3 == 0 ? null! : "key-" + i,
                Value = new string((char)('a' + (i % 26)), 10 + (i * 37 % 300)),
                Headers = i % 2 == 0 ? new Headers { { "h" + i, [(byte)i, 1, 2] } } : null,
            };
            deliveries.Add(producer.ProduceAsync(i % 4 == 3 ? TopicB : TopicA, message, cancellationToken));
        }

        await Step(log, "produce " + codec, () => Task.WhenAll(deliveries)).ConfigureAwait(false);
        producer.Flush(StepTimeout);
    }

    private static void ConsumeInGroup(string bootstrapServers, GroupProtocol protocol, string group, Action<string> log, CancellationToken cancellationToken)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "fuzz-capture-consumer",
            GroupId = group,
            GroupProtocol = protocol,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        if (protocol == GroupProtocol.Classic)
        {
            config.HeartbeatIntervalMs = 200;
            config.SessionTimeoutMs = 6000;
        }

        try
        {
            using IConsumer<string, string> consumer = new ConsumerBuilder<string, string>(config).Build();
            consumer.Subscribe([TopicA, TopicB]);
            DateTime deadline = DateTime.UtcNow + StepTimeout;
            int consumed = 0;
            while (consumed < 20 && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                ConsumeResult<string, string>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is not null && !result.IsPartitionEOF)
                {
                    consumed++;
                    consumer.Commit(result);
                }
            }

            // Let a few heartbeats go out, then fetch the committed offsets and leave the group.
            Thread.Sleep(500);
            _ = consumer.Committed(TimeSpan.FromSeconds(5));
            consumer.Close();
            log($"capture: {protocol} group consumer read {consumed}");
        }
        catch (KafkaException e)
        {
            log($"capture: {protocol} group consumer: {e.Message}");
        }
    }

    private static void ConsumeAssigned(string bootstrapServers, Action<string> log)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "fuzz-capture-assigned",
            GroupId = "fuzz-capture-unused",
            EnableAutoCommit = false,
            IsolationLevel = IsolationLevel.ReadUncommitted,
        };
        try
        {
            using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(config).Build();
            _ = consumer.QueryWatermarkOffsets(new TopicPartition(TopicA, 0), TimeSpan.FromSeconds(5));
            _ = consumer.OffsetsForTimes([new TopicPartitionTimestamp(new TopicPartition(TopicA, 1), new Timestamp(DateTime.UtcNow.AddMinutes(-5)))], TimeSpan.FromSeconds(5));
            consumer.Assign([new TopicPartitionOffset(TopicA, 0, Offset.Beginning), new TopicPartitionOffset(TopicB, 1, Offset.End)]);
            _ = consumer.Consume(TimeSpan.FromSeconds(1));
            consumer.Close();
        }
        catch (KafkaException e)
        {
            log($"capture: assigned consumer: {e.Message}");
        }
    }

    private static async Task Step(Action<string> log, string what, Func<Task> step)
    {
        try
        {
            await step().WaitAsync(StepTimeout).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            log($"capture: {what}: {e.Message}");
        }
    }
}
