using Samsa.Broker.Configuration;

namespace Samsa.Broker.Tests.Configuration;

public sealed class EffectiveConfigTests
{
    private static BrokerOptions Options(params (string Key, string Value)[] pairs)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in pairs)
        {
            properties[key] = value;
        }

        return BrokerOptions.Load(properties, out _);
    }

    private static ConfigEntry Entry(List<ConfigEntry> entries, string name) => Assert.Single(entries, e => e.Name == name);

    [Fact]
    public void A_topic_lists_every_key_with_overrides_as_dynamic_topic_config()
    {
        List<ConfigEntry> entries = EffectiveConfig.ForTopic(
            Options(("log.segment.bytes", "1073741824"), ("log.retention.hours", "168")),
            new Dictionary<string, string> { ["retention.ms"] = " 1000 ", ["cleanup.policy"] = "compact" });

        Assert.Equal(TopicConfigDefinition.Keys.Count, entries.Count);

        ConfigEntry retention = Entry(entries, "retention.ms");
        Assert.Equal("1000", retention.Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, retention.Source);
        Assert.False(retention.ReadOnly);
        Assert.Equal([new ConfigSynonym("retention.ms", "1000", ConfigSource.DynamicTopicConfig)], retention.Synonyms);

        Assert.Equal("compact", Entry(entries, "cleanup.policy").Value);

        // Set in server.properties through its synonym: STATIC_BROKER_CONFIG, then the default.
        ConfigEntry segment = Entry(entries, "segment.bytes");
        Assert.Equal("1073741824", segment.Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, segment.Source);
        Assert.Equal(
            [
                new ConfigSynonym("log.segment.bytes", "1073741824", ConfigSource.StaticBrokerConfig),
                new ConfigSynonym("log.segment.bytes", "1073741824", ConfigSource.DefaultConfig),
            ],
            segment.Synonyms);

        // Untouched: Kafka's default.
        ConfigEntry maxBytes = Entry(entries, "max.message.bytes");
        Assert.Equal("1048588", maxBytes.Value);
        Assert.Equal(ConfigSource.DefaultConfig, maxBytes.Source);
        Assert.Equal([new ConfigSynonym("message.max.bytes", "1048588", ConfigSource.DefaultConfig)], maxBytes.Synonyms);
    }

    [Fact]
    public void Retention_hours_in_server_properties_is_not_a_synonym_of_retention_ms_as_in_kafka()
    {
        ConfigEntry retention = Entry(EffectiveConfig.ForTopic(Options(("log.retention.hours", "1")), new Dictionary<string, string>()), "retention.ms");
        Assert.Equal("3600000", retention.Value);
        Assert.Equal(ConfigSource.DefaultConfig, retention.Source);
        Assert.Empty(retention.Synonyms);

        ConfigEntry viaMs = Entry(EffectiveConfig.ForTopic(Options(("log.retention.ms", "5000")), new Dictionary<string, string>()), "retention.ms");
        Assert.Equal("5000", viaMs.Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, viaMs.Source);
    }

    [Fact]
    public void A_broker_lists_every_key_with_its_source_read_only_unless_dynamic()
    {
        List<ConfigEntry> entries = EffectiveConfig.ForBroker(Options(("num.partitions", "3"), ("log.retention.hours", "24")));
        Assert.Equal(BrokerConfigDefinition.Keys.Count, entries.Count);
        Assert.All(entries, e => Assert.Equal(!DynamicBrokerConfigKeys.AnySynonymDynamic(e.Name), e.ReadOnly));

        ConfigEntry partitions = Entry(entries, "num.partitions");
        Assert.Equal("3", partitions.Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, partitions.Source);

        ConfigEntry hours = Entry(entries, "log.retention.hours");
        Assert.Equal("24", hours.Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, hours.Source);
        Assert.Equal(
            [
                new ConfigSynonym("log.retention.hours", "24", ConfigSource.StaticBrokerConfig),
                new ConfigSynonym("log.retention.hours", "168", ConfigSource.DefaultConfig),
            ],
            hours.Synonyms);

        ConfigEntry rack = Entry(entries, "broker.rack");
        Assert.Null(rack.Value);
        Assert.Equal(ConfigSource.DefaultConfig, rack.Source);

        ConfigEntry replication = Entry(entries, "default.replication.factor");
        Assert.Equal("1", replication.Value);
        Assert.Equal(ConfigSource.DefaultConfig, replication.Source);
    }
}
