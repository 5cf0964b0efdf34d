using Samsa.Broker.Configuration;

namespace Samsa.Broker.Tests.Configuration;

/// <summary>
/// Dynamic broker configs layered over server.properties as Kafka layers them, and described with
/// Kafka's sources and synonyms.
/// </summary>
public sealed class DynamicBrokerConfigTests
{
    private static BrokerOptions Options(params (string Key, string Value)[] pairs)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["broker.id"] = "1" };
        foreach ((string key, string value) in pairs)
        {
            properties[key] = value;
        }

        return BrokerOptions.Load(properties, out _);
    }

    private static Dictionary<string, string> Map(params (string Key, string Value)[] pairs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in pairs)
        {
            map[key] = value;
        }

        return map;
    }

    private static ConfigEntry Entry(List<ConfigEntry> entries, string name) => Assert.Single(entries, e => e.Name == name);

    [Fact]
    public void A_dynamic_key_wins_over_its_static_synonyms_and_per_broker_wins_over_the_default()
    {
        var config = new DynamicBrokerConfig(Options(("log.retention.hours", "24"), ("message.max.bytes", "2000")));
        Assert.Equal(24 * 3_600_000L, config.Current.LogRetentionMs);

        var ignored = new List<string>();
        BrokerOptions? previous = config.Apply(Map(("log.retention.ms", "60000"), ("message.max.bytes", "3000")), Map(("message.max.bytes", "4000")), ignored);

        Assert.Empty(ignored);
        Assert.NotNull(previous);
        Assert.Equal(2000, previous.MessageMaxBytes);

        // log.retention.ms replaces the whole static group, though hours is the lower-precedence unit.
        Assert.Equal(60000, config.Current.LogRetentionMs);
        Assert.Equal(4000, config.Current.MessageMaxBytes);
        Assert.Equal(4000, config.Current.LogDefaults.MaxMessageBytes);

        // What server.properties said stays the static layer.
        Assert.Equal(2000, config.Static.MessageMaxBytes);
        Assert.Equal("24", config.Current.Originals["log.retention.hours"]);

        // Same values again: nothing changed, nobody is told.
        Assert.Null(config.Apply(Map(("log.retention.ms", "60000"), ("message.max.bytes", "3000")), null, ignored));
    }

    [Fact]
    public void Stored_entries_a_broker_cannot_take_are_ignored_and_the_rest_applied()
    {
        var config = new DynamicBrokerConfig(Options());
        var ignored = new List<string>();
        config.Apply(Map(("broker.id", "7"), ("log.segment.bytes", "abc"), ("min.insync.replicas", "2")), null, ignored);

        Assert.Equal(1, config.Current.BrokerId);
        Assert.Equal(1073741824, config.Current.LogSegmentBytes);
        Assert.Equal(2, config.Current.MinInsyncReplicas);
        Assert.Equal(2, ignored.Count);
        Assert.Contains(ignored, p => p.Contains("broker.id", StringComparison.Ordinal));
        Assert.Contains(ignored, p => p.Contains("log.segment.bytes", StringComparison.Ordinal));
    }

    [Fact]
    public void A_set_that_does_not_make_a_valid_broker_config_is_ignored_whole()
    {
        var config = new DynamicBrokerConfig(Options());
        var ignored = new List<string>();
        Assert.Null(config.Apply(null, Map(("log.retention.ms", "0"), ("min.insync.replicas", "2")), ignored));
        Assert.Equal(1, config.Current.MinInsyncReplicas);
        Assert.Contains("log.retention.ms", Assert.Single(ignored), StringComparison.Ordinal);
    }

    [Fact]
    public void Subscribers_hear_each_change_with_the_old_and_new_options()
    {
        var config = new DynamicBrokerConfig(Options());
        var heard = new List<(int Before, int After)>();
        config.Subscribe(new Recorder(heard));
        config.Apply(Map(("max.connections", "100")), null, []);
        config.Apply(null, Map(("max.connections", "50")), []);
        config.Apply(null, Map(("max.connections", "50")), []);
        Assert.Equal([(int.MaxValue, 100), (100, 50)], heard);
    }

    [Fact]
    public void The_main_key_of_a_group_is_dynamic_but_its_unit_variants_and_static_only_keys_are_not()
    {
        Assert.True(DynamicBrokerConfigKeys.IsDynamic("log.retention.ms"));
        Assert.False(DynamicBrokerConfigKeys.IsDynamic("log.retention.hours"));
        Assert.True(DynamicBrokerConfigKeys.AnySynonymDynamic("log.retention.hours"));
        Assert.False(DynamicBrokerConfigKeys.IsDynamic("broker.id"));
        Assert.False(DynamicBrokerConfigKeys.IsDynamic("log.dirs"));
        Assert.False(DynamicBrokerConfigKeys.IsDynamic("zookeeper.connect"));
        Assert.All(DynamicBrokerConfigKeys.All, name => Assert.True(BrokerConfigDefinition.TryGetKey(name, out _), name));
    }

    [Fact]
    public void A_broker_describes_dynamic_values_with_every_layer_as_a_synonym()
    {
        var config = new DynamicBrokerConfig(Options(("log.retention.hours", "24"), ("min.insync.replicas", "2")));
        config.Apply(Map(("log.retention.ms", "60000"), ("min.insync.replicas", "3")), Map(("min.insync.replicas", "4")), []);
        List<ConfigEntry> entries = EffectiveConfig.ForBroker(config.Layers);

        ConfigEntry isr = Entry(entries, "min.insync.replicas");
        Assert.Equal("4", isr.Value);
        Assert.Equal(ConfigSource.DynamicBrokerConfig, isr.Source);
        Assert.False(isr.ReadOnly);
        Assert.Equal(
            [
                new ConfigSynonym("min.insync.replicas", "4", ConfigSource.DynamicBrokerConfig),
                new ConfigSynonym("min.insync.replicas", "3", ConfigSource.DynamicDefaultBrokerConfig),
                new ConfigSynonym("min.insync.replicas", "2", ConfigSource.StaticBrokerConfig),
                new ConfigSynonym("min.insync.replicas", "1", ConfigSource.DefaultConfig),
            ],
            isr.Synonyms);

        ConfigEntry retention = Entry(entries, "log.retention.ms");
        Assert.Equal("60000", retention.Value);
        Assert.Equal(ConfigSource.DynamicDefaultBrokerConfig, retention.Source);
        Assert.Equal(
            [
                new ConfigSynonym("log.retention.ms", "60000", ConfigSource.DynamicDefaultBrokerConfig),
                new ConfigSynonym("log.retention.hours", "24", ConfigSource.StaticBrokerConfig),
                new ConfigSynonym("log.retention.hours", "168", ConfigSource.DefaultConfig),
            ],
            retention.Synonyms);

        Assert.True(Entry(entries, "broker.id").ReadOnly);
        Assert.Equal(ConfigSource.StaticBrokerConfig, Entry(entries, "broker.id").Source);
    }

    [Fact]
    public void The_cluster_defaults_list_only_their_keys_without_the_per_broker_layer()
    {
        var config = new DynamicBrokerConfig(Options(("message.max.bytes", "2000")));
        config.Apply(Map(("message.max.bytes", "3000")), Map(("message.max.bytes", "4000")), []);

        ConfigEntry entry = Assert.Single(EffectiveConfig.ForClusterDefaults(config.Layers));
        Assert.Equal("message.max.bytes", entry.Name);
        Assert.Equal("3000", entry.Value);
        Assert.Equal(ConfigSource.DynamicDefaultBrokerConfig, entry.Source);
        Assert.Equal(
            [
                new ConfigSynonym("message.max.bytes", "3000", ConfigSource.DynamicDefaultBrokerConfig),
                new ConfigSynonym("message.max.bytes", "2000", ConfigSource.StaticBrokerConfig),
                new ConfigSynonym("message.max.bytes", "1048588", ConfigSource.DefaultConfig),
            ],
            entry.Synonyms);
    }

    [Fact]
    public void A_topic_without_an_override_reports_the_dynamic_default_as_its_source()
    {
        var config = new DynamicBrokerConfig(Options(("log.retention.hours", "24")));
        config.Apply(Map(("log.retention.ms", "60000")), null, []);
        List<ConfigEntry> entries = EffectiveConfig.ForTopic(config.Layers, new Dictionary<string, string> { ["max.message.bytes"] = "100" });

        ConfigEntry retention = Entry(entries, "retention.ms");
        Assert.Equal("60000", retention.Value);
        Assert.Equal(ConfigSource.DynamicDefaultBrokerConfig, retention.Source);
        Assert.Equal(new ConfigSynonym("log.retention.ms", "60000", ConfigSource.DynamicDefaultBrokerConfig), retention.Synonyms[0]);

        ConfigEntry maxBytes = Entry(entries, "max.message.bytes");
        Assert.Equal(ConfigSource.DynamicTopicConfig, maxBytes.Source);
    }

    private sealed class Recorder(List<(int Before, int After)> heard) : IBrokerReconfigurable
    {
        public void Reconfigure(BrokerOptions previous, BrokerOptions current) => heard.Add((previous.MaxConnections, current.MaxConnections));
    }
}
