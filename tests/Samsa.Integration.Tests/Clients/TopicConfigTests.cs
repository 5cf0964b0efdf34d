using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// Topic-level configs through Confluent.Kafka's AdminClient: set at creation, described with their
/// sources, altered (incrementally and whole), taking effect on the running broker, and kept across
/// a restart. The broker runs with the stock config/server.properties (which sets log.segment.bytes
/// and log.retention.hours, as Kafka's does).
/// </summary>
public sealed class TopicConfigTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private static ConfigResource Topic(string name) => new() { Type = ResourceType.Topic, Name = name };

    private static async Task<Dictionary<string, ConfigEntryResult>> DescribeAsync(IAdminClient admin, string topic)
    {
        List<DescribeConfigsResult> results = await admin.DescribeConfigsAsync(
            [Topic(topic)],
            new DescribeConfigsOptions { RequestTimeout = RequestTimeout });
        return Assert.Single(results).Entries;
    }

    private static Task SetAsync(IAdminClient admin, string topic, params (string Name, string? Value, AlterConfigOpType Op)[] changes)
    {
        var entries = new List<ConfigEntry>();
        foreach ((string name, string? value, AlterConfigOpType op) in changes)
        {
            entries.Add(new ConfigEntry { Name = name, Value = value, IncrementalOperation = op });
        }

        return admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [Topic(topic)] = entries },
            new IncrementalAlterConfigsOptions { RequestTimeout = RequestTimeout });
    }

    private static Task CreateAsync(IAdminClient admin, string topic, Dictionary<string, string>? configs = null) =>
        admin.CreateTopicsAsync(
            [new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1, Configs = configs }],
            new CreateTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });

    private static IProducer<Null, byte[]> Producer(string bootstrapServers)
    {
        ProducerConfig config = ClientConfigs.Producer(bootstrapServers);
        config.LingerMs = 0;
        config.MessageTimeoutMs = 10000;
        return new ProducerBuilder<Null, byte[]>(config).Build();
    }

    [Fact]
    public async Task Created_topic_configs_are_described_as_dynamic_and_the_rest_with_their_sources()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        await CreateAsync(admin, "cfg-create", new Dictionary<string, string>
        {
            ["retention.ms"] = "3600000",
            ["cleanup.policy"] = "compact",
            ["min.cleanable.dirty.ratio"] = "0.25",
        });

        Dictionary<string, ConfigEntryResult> entries = await DescribeAsync(admin, "cfg-create");

        ConfigEntryResult retention = entries["retention.ms"];
        Assert.Equal("3600000", retention.Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, retention.Source);
        Assert.False(retention.IsReadOnly);
        Assert.False(retention.IsDefault);
        Assert.Equal("compact", entries["cleanup.policy"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, entries["cleanup.policy"].Source);
        Assert.Equal("0.25", entries["min.cleanable.dirty.ratio"].Value);

        // server.properties sets log.segment.bytes: STATIC_BROKER_CONFIG through the synonym.
        ConfigEntryResult segment = entries["segment.bytes"];
        Assert.Equal("1073741824", segment.Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, segment.Source);
        Assert.Contains(segment.Synonyms, s => s.Name == "log.segment.bytes" && s.Source == ConfigSource.StaticBrokerConfig);

        ConfigEntryResult maxBytes = entries["max.message.bytes"];
        Assert.Equal("1048588", maxBytes.Value);
        Assert.Equal(ConfigSource.DefaultConfig, maxBytes.Source);
        Assert.Equal(ConfigSource.DefaultConfig, entries["compression.type"].Source);
        Assert.Equal("producer", entries["compression.type"].Value);
        Assert.Contains("unclean.leader.election.enable", entries.Keys);
        Assert.Contains("message.timestamp.type", entries.Keys);
    }

    [Fact]
    public async Task A_bad_topic_config_fails_creation_with_invalid_config_naming_the_key()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();

        CreateTopicsException bad = await Assert.ThrowsAsync<CreateTopicsException>(
            () => CreateAsync(admin, "cfg-bad", new Dictionary<string, string> { ["retention.ms"] = "abc" }));
        CreateTopicReport report = Assert.Single(bad.Results);
        Assert.Equal(ErrorCode.InvalidConfig, report.Error.Code);
        Assert.Contains("Invalid value abc for configuration retention.ms", report.Error.Reason, StringComparison.Ordinal);

        CreateTopicsException unknown = await Assert.ThrowsAsync<CreateTopicsException>(
            () => CreateAsync(admin, "cfg-bad", new Dictionary<string, string> { ["retention.weeks"] = "1" }));
        Assert.Equal(ErrorCode.InvalidConfig, Assert.Single(unknown.Results).Error.Code);
        Assert.Contains("Unknown topic config name: retention.weeks", Assert.Single(unknown.Results).Error.Reason, StringComparison.Ordinal);

        Assert.DoesNotContain(admin.GetMetadata(RequestTimeout).Topics, t => t.Topic == "cfg-bad" && t.Error.Code == ErrorCode.NoError);
    }

    [Fact]
    public async Task Lowering_max_message_bytes_refuses_larger_messages_at_once_and_deleting_it_restores_the_default()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        await CreateAsync(admin, "cfg-size");
        using IProducer<Null, byte[]> producer = Producer(fixture.BootstrapServers);
        var partition = new TopicPartition("cfg-size", 0);
        var large = new Message<Null, byte[]> { Value = new byte[5000] };

        Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(partition, large, timeout.Token)).Status);

        await SetAsync(admin, "cfg-size", ("max.message.bytes", "1000", AlterConfigOpType.Set));
        Assert.Equal(ConfigSource.DynamicTopicConfig, (await DescribeAsync(admin, "cfg-size"))["max.message.bytes"].Source);

        ProduceException<Null, byte[]> refused = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(
            () => producer.ProduceAsync(partition, large, timeout.Token));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, refused.Error.Code);
        Assert.False(refused.Error.IsLocalError);
        Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[100] }, timeout.Token)).Status);

        await SetAsync(admin, "cfg-size", ("max.message.bytes", null, AlterConfigOpType.Delete));
        ConfigEntryResult restored = (await DescribeAsync(admin, "cfg-size"))["max.message.bytes"];
        Assert.Equal(ConfigSource.DefaultConfig, restored.Source);
        Assert.Equal("1048588", restored.Value);
        Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(partition, large, timeout.Token)).Status);
    }

    [Fact]
    public async Task Incremental_operations_set_append_subtract_and_validate()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        await CreateAsync(admin, "cfg-ops", new Dictionary<string, string> { ["retention.ms"] = "60000" });

        await SetAsync(
            admin,
            "cfg-ops",
            ("cleanup.policy", "compact", AlterConfigOpType.Append),
            ("retention.bytes", "1048576", AlterConfigOpType.Set));
        Dictionary<string, ConfigEntryResult> entries = await DescribeAsync(admin, "cfg-ops");
        Assert.Equal("delete,compact", entries["cleanup.policy"].Value);
        Assert.Equal("1048576", entries["retention.bytes"].Value);
        Assert.Equal("60000", entries["retention.ms"].Value); // untouched by an incremental change

        await SetAsync(admin, "cfg-ops", ("cleanup.policy", "delete", AlterConfigOpType.Subtract));
        Assert.Equal("compact", (await DescribeAsync(admin, "cfg-ops"))["cleanup.policy"].Value);

        IncrementalAlterConfigsException invalid = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(
            () => SetAsync(admin, "cfg-ops", ("segment.bytes", "10", AlterConfigOpType.Set)));
        Assert.Equal(ErrorCode.InvalidConfig, Assert.Single(invalid.Results).Error.Code);
        Assert.Contains("segment.bytes", Assert.Single(invalid.Results).Error.Reason, StringComparison.Ordinal);

        IncrementalAlterConfigsException notAList = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(
            () => SetAsync(admin, "cfg-ops", ("retention.ms", "5", AlterConfigOpType.Append)));
        Assert.Equal(ErrorCode.InvalidRequest, Assert.Single(notAList.Results).Error.Code);

        IncrementalAlterConfigsException missing = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(
            () => SetAsync(admin, "cfg-no-such-topic", ("retention.ms", "5", AlterConfigOpType.Set)));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(missing.Results).Error.Code);

        // Validate-only changes nothing.
        await admin.IncrementalAlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [Topic("cfg-ops")] = [new ConfigEntry { Name = "retention.ms", Value = "1", IncrementalOperation = AlterConfigOpType.Set }] },
            new IncrementalAlterConfigsOptions { RequestTimeout = RequestTimeout, ValidateOnly = true });
        Assert.Equal("60000", (await DescribeAsync(admin, "cfg-ops"))["retention.ms"].Value);
    }

    [Fact]
    public async Task Legacy_alter_configs_replaces_the_whole_override_set()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        await CreateAsync(admin, "cfg-legacy", new Dictionary<string, string> { ["retention.ms"] = "60000" });

#pragma warning disable CS0618 // AlterConfigs is deprecated in favour of the incremental form, but clients still send it.
        await admin.AlterConfigsAsync(
            new Dictionary<ConfigResource, List<ConfigEntry>> { [Topic("cfg-legacy")] = [new ConfigEntry { Name = "segment.ms", Value = "120000" }] },
            new AlterConfigsOptions { RequestTimeout = RequestTimeout });
#pragma warning restore CS0618

        Dictionary<string, ConfigEntryResult> entries = await DescribeAsync(admin, "cfg-legacy");
        Assert.Equal("120000", entries["segment.ms"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, entries["segment.ms"].Source);
        Assert.Equal(ConfigSource.DefaultConfig, entries["retention.ms"].Source);
        Assert.Equal("604800000", entries["retention.ms"].Value);
    }

    [Fact]
    public async Task Describing_an_unknown_topic_fails_and_the_broker_describes_its_own_config()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        DescribeConfigsException missing = await Assert.ThrowsAsync<DescribeConfigsException>(
            () => admin.DescribeConfigsAsync([Topic("cfg-nowhere")], new DescribeConfigsOptions { RequestTimeout = RequestTimeout }));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(missing.Results).Error.Code);

        List<DescribeConfigsResult> broker = await admin.DescribeConfigsAsync(
            [new ConfigResource { Type = ResourceType.Broker, Name = "0" }],
            new DescribeConfigsOptions { RequestTimeout = RequestTimeout });
        Dictionary<string, ConfigEntryResult> entries = Assert.Single(broker).Entries;
        Assert.Equal("1073741824", entries["log.segment.bytes"].Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, entries["log.segment.bytes"].Source);
        Assert.Equal(ConfigSource.DefaultConfig, entries["message.max.bytes"].Source);
        // message.max.bytes may change at run time (a dynamic broker config); broker.id may not.
        Assert.False(entries["message.max.bytes"].IsReadOnly);
        Assert.True(entries["broker.id"].IsReadOnly);
    }

    [Fact]
    public async Task Retention_changed_at_run_time_deletes_old_segments_on_the_next_pass()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(["log.retention.check.interval.ms=200"], timeout.Token);
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build();
        await CreateAsync(admin, "cfg-retention", new Dictionary<string, string> { ["segment.bytes"] = "1024" });
        using IProducer<Null, byte[]> producer = Producer(broker.BootstrapServers);
        var partition = new TopicPartition("cfg-retention", 0);
        for (int i = 0; i < 20; i++)
        {
            await producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[300] }, timeout.Token);
        }

        using IConsumer<Ignore, byte[]> consumer = new ConsumerBuilder<Ignore, byte[]>(ClientConfigs.Consumer(broker.BootstrapServers)).Build();
        Assert.Equal(0, consumer.QueryWatermarkOffsets(partition, RequestTimeout).Low.Value);

        await SetAsync(admin, "cfg-retention", ("retention.ms", "1", AlterConfigOpType.Set));
        await Polling.UntilAsync(() => consumer.QueryWatermarkOffsets(partition, RequestTimeout).Low.Value > 0, TestTimeout, "retention deletes the first segment", timeout.Token);

        WatermarkOffsets after = consumer.QueryWatermarkOffsets(partition, RequestTimeout);
        Assert.InRange(after.Low.Value, 1, 20);
        Assert.Equal(20, after.High.Value);
    }

    [Fact]
    public async Task Topic_configs_survive_a_restart_and_apply_to_the_reopened_log()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        var partition = new TopicPartition("cfg-restart", 0);
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build())
        {
            await CreateAsync(admin, "cfg-restart", new Dictionary<string, string> { ["retention.ms"] = "7200000" });
            await SetAsync(admin, "cfg-restart", ("max.message.bytes", "1000", AlterConfigOpType.Set));
        }

        await broker.RestartAsync(timeout.Token);

        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build())
        {
            Dictionary<string, ConfigEntryResult> entries = await DescribeAsync(admin, "cfg-restart");
            Assert.Equal("7200000", entries["retention.ms"].Value);
            Assert.Equal(ConfigSource.DynamicTopicConfig, entries["retention.ms"].Source);
            Assert.Equal("1000", entries["max.message.bytes"].Value);
        }

        using IProducer<Null, byte[]> producer = Producer(broker.BootstrapServers);
        ProduceException<Null, byte[]> refused = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(
            () => producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[5000] }, timeout.Token));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, refused.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, (await producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[10] }, timeout.Token)).Status);
    }
}
