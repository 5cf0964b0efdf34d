using Samsa.Broker.Configuration;

namespace Samsa.Broker.Tests.Configuration;

public sealed class BrokerConfigDefinitionTests
{
    // Kafka 3.1 code defaults (KafkaConfig.scala Defaults, OffsetConfig, TransactionLog,
    // TransactionStateManager), written out independently of the table under test.
    public static TheoryData<string, string?> KafkaDefaults => new()
    {
        { "broker.id", "-1" },
        { "listeners", "PLAINTEXT://:9092" },
        { "advertised.listeners", null },
        { "listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL" },
        { "inter.broker.listener.name", null },
        { "log.dirs", null },
        { "log.dir", "/tmp/kafka-logs" },
        { "zookeeper.connect", null },
        { "zookeeper.connection.timeout.ms", null },
        { "zookeeper.session.timeout.ms", "18000" },
        { "num.partitions", "1" },
        { "default.replication.factor", "1" },
        { "min.insync.replicas", "1" },
        { "offsets.topic.replication.factor", "3" },
        { "offsets.topic.num.partitions", "50" },
        { "offsets.retention.minutes", "10080" },
        { "transaction.state.log.replication.factor", "3" },
        { "transaction.state.log.min.isr", "2" },
        { "log.retention.hours", "168" },
        { "log.retention.minutes", null },
        { "log.retention.ms", null },
        { "log.retention.bytes", "-1" },
        { "log.segment.bytes", "1073741824" },
        { "log.roll.hours", "168" },
        { "log.roll.ms", null },
        { "log.retention.check.interval.ms", "300000" },
        { "log.index.interval.bytes", "4096" },
        { "log.index.size.max.bytes", "10485760" },
        { "log.flush.interval.messages", "9223372036854775807" },
        { "log.flush.interval.ms", null },
        { "log.cleanup.policy", "delete" },
        { "log.cleaner.enable", "true" },
        { "log.cleaner.delete.retention.ms", "86400000" },
        { "log.message.timestamp.type", "CreateTime" },
        { "message.max.bytes", "1048588" },
        { "replica.lag.time.max.ms", "30000" },
        { "replica.fetch.max.bytes", "1048576" },
        { "num.replica.fetchers", "1" },
        { "unclean.leader.election.enable", "false" },
        { "auto.create.topics.enable", "true" },
        { "delete.topic.enable", "true" },
        { "auto.leader.rebalance.enable", "true" },
        { "controlled.shutdown.enable", "true" },
        { "group.initial.rebalance.delay.ms", "3000" },
        { "group.min.session.timeout.ms", "6000" },
        { "group.max.session.timeout.ms", "1800000" },
        { "group.max.size", "2147483647" },
        { "socket.request.max.bytes", "104857600" },
        { "socket.send.buffer.bytes", "102400" },
        { "socket.receive.buffer.bytes", "102400" },
        { "connections.max.idle.ms", "600000" },
        { "max.connections", "2147483647" },
        { "max.connections.per.ip", "2147483647" },
        { "queued.max.requests", "500" },
        { "num.network.threads", "3" },
        { "num.io.threads", "8" },
        { "num.recovery.threads.per.data.dir", "1" },
        { "compression.type", "producer" },
        { "broker.rack", null },
        { "log.flush.offset.checkpoint.interval.ms", "60000" },
        { "replica.high.watermark.checkpoint.interval.ms", "5000" },
        { "fetch.max.bytes", "57671680" },
        { "transactional.id.expiration.ms", "604800000" },
        { "transaction.max.timeout.ms", "900000" },
    };

    [Theory]
    [MemberData(nameof(KafkaDefaults))]
    public void Default_matches_kafka(string name, string? expected)
    {
        Assert.True(BrokerConfigDefinition.TryGetKey(name, out ConfigKey key), $"{name} is not in the table");
        Assert.Equal(expected, key.DefaultValue);
    }

    [Fact]
    public void Every_default_parses_and_passes_its_own_validator()
    {
        foreach (ConfigKey key in BrokerConfigDefinition.Keys)
        {
            if (key.DefaultValue is not null)
            {
                key.Parse(key.DefaultValue);
            }
        }
    }

    [Fact]
    public void Every_key_is_defined_once_and_documented()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ConfigKey key in BrokerConfigDefinition.Keys)
        {
            Assert.True(seen.Add(key.Name), $"{key.Name} defined twice");
            Assert.False(string.IsNullOrWhiteSpace(key.Documentation), $"{key.Name} has no documentation");
        }
    }

    [Fact]
    public void Keys_samsa_ignores_say_so_in_their_documentation()
    {
        int ignored = 0;
        foreach (ConfigKey key in BrokerConfigDefinition.Keys)
        {
            bool saysIgnored = key.Documentation.Contains("Samsa ignores it", StringComparison.Ordinal);
            Assert.Equal(!key.ActedOn, saysIgnored);
            ignored += key.ActedOn ? 0 : 1;
        }

        Assert.False(BrokerConfigDefinition.GetKey("num.network.threads").ActedOn);
        Assert.True(ignored >= 3);
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        { "num.partitions", "abc", "Invalid value abc for configuration num.partitions: Not a number of type INT" },
        { "num.partitions", "0", "Invalid value 0 for configuration num.partitions: Value must be at least 1" },
        { "num.partitions", "99999999999", "Invalid value 99999999999 for configuration num.partitions: Not a number of type INT" },
        { "log.retention.bytes", "1.5", "Invalid value 1.5 for configuration log.retention.bytes: Not a number of type LONG" },
        { "offsets.topic.replication.factor", "40000", "Invalid value 40000 for configuration offsets.topic.replication.factor: Not a number of type SHORT" },
        { "offsets.topic.replication.factor", "0", "Invalid value 0 for configuration offsets.topic.replication.factor: Value must be at least 1" },
        { "auto.create.topics.enable", "yes", "Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false" },
        { "log.message.timestamp.type", "createtime", "Invalid value createtime for configuration log.message.timestamp.type: String must be one of: CreateTime, LogAppendTime" },
        { "log.cleanup.policy", "delete,shred", "for configuration log.cleanup.policy" },
        { "compression.type", "brotli", "for configuration compression.type: String must be one of" },
        { "log.segment.bytes", "13", "Value must be at least 14" },
        { "log.index.size.max.bytes", "3", "Value must be at least 4" },
        { "socket.request.max.bytes", "0", "for configuration socket.request.max.bytes" },
        { "fetch.max.bytes", "1023", "Value must be at least 1024" },
        { "min.insync.replicas", "0", "for configuration min.insync.replicas" },
        { "log.flush.interval.messages", "0", "for configuration log.flush.interval.messages" },
        { "inter.broker.security.protocol", "SSL", "for configuration inter.broker.security.protocol" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Validator_rejects_bad_value_naming_the_key(string name, string value, string expectedFragment)
    {
        ConfigKey key = BrokerConfigDefinition.GetKey(name);

        var ex = Assert.Throws<ConfigException>(() => key.Parse(value));

        Assert.Contains(expectedFragment, ex.Message, StringComparison.Ordinal);
        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
        Assert.Equal(name, ex.ConfigName);
    }

    [Fact]
    public void Every_range_validated_key_rejects_a_value_below_its_minimum()
    {
        foreach (ConfigKey key in BrokerConfigDefinition.Keys)
        {
            if (key.Validator is null || key.Type is not (ConfigType.Int or ConfigType.Long or ConfigType.Short))
            {
                continue;
            }

            string description = key.Validator.Describe();
            long min = long.Parse(description[1..description.IndexOf(',', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture);
            string below = (min - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var ex = Assert.Throws<ConfigException>(() => key.Parse(below));
            Assert.Contains($"for configuration {key.Name}", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Values_are_trimmed_and_booleans_ignore_case()
    {
        Assert.Equal(7, BrokerConfigDefinition.GetKey("num.partitions").Parse("  7 "));
        Assert.Equal(true, BrokerConfigDefinition.GetKey("delete.topic.enable").Parse("TRUE"));
        var policies = (IReadOnlyList<string>)BrokerConfigDefinition.GetKey("log.cleanup.policy").Parse(" compact , delete ");
        Assert.Equal(["compact", "delete"], policies);
    }
}
