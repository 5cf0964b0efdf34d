using Samsa.Broker.Configuration;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Configuration;

public sealed class TopicConfigDefinitionTests
{
    private static Dictionary<string, string> Overrides(params (string Key, string Value)[] pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in pairs)
        {
            result[key] = value;
        }

        return result;
    }

    [Fact]
    public void The_table_has_kafkas_topic_keys_sorted_and_unique()
    {
        var names = TopicConfigDefinition.Keys.Select(k => k.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (string name in new[]
        {
            "cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages", "flush.ms",
            "index.interval.bytes", "max.compaction.lag.ms", "max.message.bytes", "message.timestamp.type",
            "message.timestamp.difference.max.ms", "message.timestamp.before.max.ms", "message.timestamp.after.max.ms",
            "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "min.insync.replicas", "preallocate", "retention.bytes",
            "retention.ms", "segment.bytes", "segment.index.bytes", "segment.jitter.ms", "segment.ms",
            "unclean.leader.election.enable", "message.downconversion.enable",
        })
        {
            Assert.Contains(name, names);
        }
    }

    [Fact]
    public void Every_default_parses_and_every_broker_synonym_is_a_broker_key()
    {
        BrokerOptions defaults = BrokerOptions.Load(new Dictionary<string, string>(), out _);
        foreach (TopicConfigKey key in TopicConfigDefinition.Keys)
        {
            Assert.NotNull(key.Key.DefaultValue);
            Assert.True(key.Key.TryParse(key.Key.DefaultValue!, out object? parsed, out string? error), error);

            // With an empty server.properties the broker-derived default is Kafka's topic default.
            Assert.Equal(TopicConfigDefinition.Format(parsed), TopicConfigDefinition.Format(key.BrokerDefault(defaults)));
            foreach (string synonym in key.BrokerSynonyms)
            {
                Assert.True(BrokerConfigDefinition.TryGetKey(synonym, out _), synonym);
            }
        }
    }

    [Fact]
    public void Valid_overrides_pass()
    {
        Assert.Null(TopicConfigDefinition.Validate(Overrides(
            ("retention.ms", "1000"),
            ("cleanup.policy", "compact,delete"),
            ("compression.type", "lz4"),
            ("min.cleanable.dirty.ratio", "0.25"),
            ("message.timestamp.type", "LogAppendTime"),
            ("unclean.leader.election.enable", "TRUE"),
            ("leader.replication.throttled.replicas", "0:1,1:2"),
            ("message.format.version", "2.8-IV1"))));
        Assert.Null(TopicConfigDefinition.Validate(Overrides()));
    }

    [Theory]
    [InlineData("retention.ms", "abc", "Invalid value abc for configuration retention.ms: Not a number of type LONG")]
    [InlineData("segment.bytes", "13", "Invalid value 13 for configuration segment.bytes: Value must be at least 14")]
    [InlineData("max.message.bytes", "1.5", "Invalid value 1.5 for configuration max.message.bytes: Not a number of type INT")]
    [InlineData("cleanup.policy", "shred", "Invalid value shred for configuration cleanup.policy: Item shred is not allowed; each item must be one of: compact, delete")]
    [InlineData("compression.type", "brotli", "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer")]
    [InlineData("min.cleanable.dirty.ratio", "1.5", "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no more than 1")]
    [InlineData("min.cleanable.dirty.ratio", "half", "Invalid value half for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE")]
    [InlineData("preallocate", "yes", "Invalid value yes for configuration preallocate: Expected value to be either true or false")]
    [InlineData("min.insync.replicas", "0", "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1")]
    [InlineData("retention.ms", "-2", "Invalid value -2 for configuration retention.ms: Value must be at least -1")]
    [InlineData("no.such.key", "1", "Unknown topic config name: no.such.key")]
    public void A_bad_override_is_named_in_kafkas_words(string key, string value, string message) =>
        Assert.Equal(message, TopicConfigDefinition.Validate(Overrides((key, value))));

    [Fact]
    public void Compaction_lags_must_be_ordered() =>
        Assert.Equal(
            "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)",
            TopicConfigDefinition.Validate(Overrides(("min.compaction.lag.ms", "10"), ("max.compaction.lag.ms", "5"))));

    [Fact]
    public void The_log_config_is_broker_defaults_plus_overrides()
    {
        BrokerOptions options = BrokerOptions.Load(
            new Dictionary<string, string> { ["log.segment.bytes"] = "5000000", ["log.retention.hours"] = "1", ["message.max.bytes"] = "2000" },
            out _);

        LogConfig plain = TopicConfigDefinition.BuildLogConfig(options.LogDefaults, Overrides());
        Assert.Equal(5000000, plain.SegmentBytes);
        Assert.Equal(3600000, plain.RetentionMs);
        Assert.Equal(2000, plain.MaxMessageBytes);

        LogConfig config = TopicConfigDefinition.BuildLogConfig(options.LogDefaults, Overrides(
            ("retention.ms", "1000"),
            ("max.message.bytes", "512"),
            ("cleanup.policy", "compact, delete"),
            ("message.timestamp.type", "LogAppendTime"),
            ("segment.ms", "60000"),
            ("segment.jitter.ms", "5000"),
            ("preallocate", "true"),
            ("min.insync.replicas", "2"),
            ("bogus", "1"),
            ("retention.bytes", "not-a-number")));
        Assert.Equal(1000, config.RetentionMs);
        Assert.Equal(512, config.MaxMessageBytes);
        Assert.Equal(CleanupPolicy.Compact | CleanupPolicy.Delete, config.CleanupPolicy);
        Assert.Equal(TimestampType.LogAppendTime, config.MessageTimestampType);
        Assert.Equal(60000, config.SegmentMs);
        Assert.Equal(5000, config.SegmentJitterMs);
        Assert.True(config.Preallocate);
        Assert.Equal(5000000, config.SegmentBytes);
        Assert.Equal(-1, config.RetentionBytes);
        config.Validate();
    }

    [Theory]
    [InlineData(true, "true")]
    [InlineData(0.5d, "0.5")]
    [InlineData(9223372036854775807L, "9223372036854775807")]
    [InlineData(-1, "-1")]
    public void Values_print_as_kafka_prints_them(object value, string text) =>
        Assert.Equal(text, TopicConfigDefinition.Format(value));

    [Fact]
    public void Lists_print_comma_joined()
    {
        string[] policies = ["compact", "delete"];
        Assert.Equal("compact,delete", TopicConfigDefinition.Format(policies));
    }
}
