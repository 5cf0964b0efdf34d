using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// Dynamic broker configs through Confluent.Kafka's AdminClient against a broker process started
/// with the stock config/server.properties: changed defaults take effect on an existing topic at
/// once, are described with Kafka's sources, are refused for read-only keys and survive a restart.
/// </summary>
public sealed class BrokerConfigTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly ConfigResource Broker0 = new() { Type = ResourceType.Broker, Name = "0" };

    private static Task SetAsync(IAdminClient admin, params (string Name, string Value)[] changes)
    {
        var entries = new List<ConfigEntry>();
        foreach ((string name, string value) in changes)
        {
            entries.Add(new ConfigEntry { Name = name, Value = value, IncrementalOperation = AlterConfigOpType.Set });
        }

        return admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [Broker0] = entries },
            new IncrementalAlterConfigsOptions { RequestTimeout = RequestTimeout });
    }

    private static async Task<Dictionary<string, ConfigEntryResult>> DescribeAsync(IAdminClient admin, ConfigResource resource)
    {
        List<DescribeConfigsResult> results = await admin.DescribeConfigsAsync([resource], new DescribeConfigsOptions { RequestTimeout = RequestTimeout });
        return Assert.Single(results).Entries;
    }

    private static IProducer<Null, byte[]> Producer(string bootstrapServers)
    {
        ProducerConfig config = ClientConfigs.Producer(bootstrapServers);
        config.LingerMs = 0;
        config.MessageTimeoutMs = 10000;
        return new ProducerBuilder<Null, byte[]>(config).Build();
    }

    [Fact]
    public async Task Broker_defaults_changed_at_run_time_apply_to_an_existing_topic_and_survive_a_restart()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(["log.retention.check.interval.ms=200"], timeout.Token);
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build();
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = "dynamic", NumPartitions = 1, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });
        var partition = new TopicPartition("dynamic", 0);

        await SetAsync(admin, ("message.max.bytes", "2000"));

        // The topic has no override, so the new default is its value, with the broker's source.
        ConfigEntryResult topicMaxBytes = (await DescribeAsync(admin, new ConfigResource { Type = ResourceType.Topic, Name = "dynamic" }))["max.message.bytes"];
        Assert.Equal("2000", topicMaxBytes.Value);
        Assert.Equal(ConfigSource.DynamicBrokerConfig, topicMaxBytes.Source);

        // message.max.bytes is in effect on the existing topic: a 3000-byte record is refused.
        using (IProducer<Null, byte[]> producer = Producer(broker.BootstrapServers))
        {
            ProduceException<Null, byte[]> tooLarge = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(
                () => producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[3000] }, timeout.Token));
            Assert.Equal(ErrorCode.MsgSizeTooLarge, tooLarge.Error.Code);
        }

        await SetAsync(admin, ("log.segment.bytes", "1024"));

        // Described as Kafka describes them: the dynamic value first, then server.properties, then the default.
        Dictionary<string, ConfigEntryResult> brokerConfigs = await DescribeAsync(admin, Broker0);
        ConfigEntryResult segment = brokerConfigs["log.segment.bytes"];
        Assert.Equal("1024", segment.Value);
        Assert.Equal(ConfigSource.DynamicBrokerConfig, segment.Source);
        Assert.False(segment.IsReadOnly);
        Assert.Equal(
            [(ConfigSource.DynamicBrokerConfig, "1024"), (ConfigSource.StaticBrokerConfig, "1073741824"), (ConfigSource.DefaultConfig, "1073741824")],
            segment.Synonyms.Select(s => (s.Source, s.Value)));
        Assert.Equal("2000", brokerConfigs["message.max.bytes"].Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, brokerConfigs["broker.id"].Source);
        Assert.True(brokerConfigs["broker.id"].IsReadOnly);

        using (IProducer<Null, byte[]> producer = Producer(broker.BootstrapServers))
        {
            for (int i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[500] }, timeout.Token);
            }
        }

        // log.segment.bytes rolled the log every couple of records; log.retention.ms now removes the closed segments.
        await SetAsync(admin, ("log.retention.ms", "1"));
        using (IConsumer<Ignore, byte[]> consumer = new ConsumerBuilder<Ignore, byte[]>(ClientConfigs.Consumer(broker.BootstrapServers)).Build())
        {
            await Polling.UntilAsync(() => consumer.QueryWatermarkOffsets(partition, RequestTimeout).Low.Value >= 8, TimeSpan.FromSeconds(20), "retention deletes the old segments", timeout.Token);
        }

        // A read-only key is refused with Kafka's message, and nothing changes.
        IncrementalAlterConfigsException refused = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() => SetAsync(admin, ("log.dirs", "/tmp/elsewhere")));
        Error error = Assert.Single(refused.Results).Error;
        Assert.Equal(ErrorCode.InvalidRequest, error.Code);
        Assert.Contains("Cannot update these configs dynamically: Set(log.dirs)", error.Reason, StringComparison.Ordinal);

        await broker.RestartAsync(timeout.Token);

        Dictionary<string, ConfigEntryResult> afterRestart = await DescribeAsync(admin, Broker0);
        Assert.Equal("2000", afterRestart["message.max.bytes"].Value);
        Assert.Equal(ConfigSource.DynamicBrokerConfig, afterRestart["message.max.bytes"].Source);
        Assert.Equal("1", afterRestart["log.retention.ms"].Value);
        using (IProducer<Null, byte[]> producer = Producer(broker.BootstrapServers))
        {
            // Larger than the dynamic log.segment.bytes (1024; server.properties says 1 GiB): still in effect.
            ProduceException<Null, byte[]> stillTooLarge = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(
                () => producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[1500] }, timeout.Token));
            Assert.Equal(ErrorCode.RecordListTooLarge, stillTooLarge.Error.Code);
        }
    }
}
