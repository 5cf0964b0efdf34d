using System.Net;
using Samsa.Broker.Configuration;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Configuration;

public sealed class BrokerOptionsTests
{
    private static BrokerOptions Load(params (string Key, string Value)[] pairs)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in pairs)
        {
            properties[key] = value;
        }

        BrokerOptions options = BrokerOptions.Load(properties, out IReadOnlyList<string> warnings);
        Assert.Empty(warnings);
        return options;
    }

    private static ConfigException LoadFails(params (string Key, string Value)[] pairs)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in pairs)
        {
            properties[key] = value;
        }

        return Assert.Throws<ConfigException>(() => BrokerOptions.Load(properties, out _));
    }

    [Fact]
    public void Log_cleaner_enable_reaches_the_log_cleaner()
    {
        Assert.True(Load().LogCleaner.Enable);
        Assert.False(Load(("log.cleaner.enable", "false")).LogCleaner.Enable);
    }

    [Fact]
    public void Empty_properties_give_kafkas_defaults()
    {
        BrokerOptions options = Load();

        Assert.Equal(-1, options.BrokerId);
        Assert.True(options.IsStandalone);
        Assert.Null(options.ZooKeeperConnect);
        Assert.Equal(18000, options.ZooKeeperSessionTimeoutMs);
        Assert.Equal(18000, options.ZooKeeperConnectionTimeoutMs);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", string.Empty, 9092)], options.Listeners);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", Dns.GetHostName(), 9092)], options.AdvertisedListeners);
        Assert.Equal("PLAINTEXT", options.InterBrokerListenerName);
        Assert.Equal(["/tmp/kafka-logs"], options.LogDirs);
        Assert.Equal(1, options.NumPartitions);
        Assert.Equal(1, options.DefaultReplicationFactor);
        Assert.Equal(1, options.MinInsyncReplicas);
        Assert.Equal(3, options.OffsetsTopicReplicationFactor);
        Assert.Equal(50, options.OffsetsTopicNumPartitions);
        Assert.Equal(10080, options.OffsetsRetentionMinutes);
        Assert.Equal(3, options.TransactionStateLogReplicationFactor);
        Assert.Equal(2, options.TransactionStateLogMinIsr);
        Assert.Equal(1073741824, options.LogSegmentBytes);
        Assert.Equal(168L * 3600 * 1000, options.LogRetentionMs);
        Assert.Equal(168L * 3600 * 1000, options.LogRollMs);
        Assert.Equal(0, options.LogRollJitterMs);
        Assert.Equal(-1, options.LogRetentionBytes);
        Assert.Equal(300000, options.LogRetentionCheckIntervalMs);
        Assert.Equal(4096, options.LogIndexIntervalBytes);
        Assert.Equal(10485760, options.LogIndexSizeMaxBytes);
        Assert.Equal(long.MaxValue, options.LogFlushIntervalMessages);
        Assert.Equal(long.MaxValue, options.LogFlushIntervalMs);
        Assert.Equal(CleanupPolicy.Delete, options.LogCleanupPolicy);
        Assert.Equal(TimestampType.CreateTime, options.LogMessageTimestampType);
        Assert.Equal(1048588, options.MessageMaxBytes);
        Assert.Equal(104857600, options.SocketRequestMaxBytes);
        Assert.Equal(600000, options.ConnectionsMaxIdleMs);
        Assert.True(options.AutoCreateTopicsEnable);
        Assert.True(options.DeleteTopicEnable);
        Assert.False(options.UncleanLeaderElectionEnable);
        Assert.Equal(3000, options.GroupInitialRebalanceDelayMs);
        Assert.Equal(6000, options.GroupMinSessionTimeoutMs);
        Assert.Equal(1800000, options.GroupMaxSessionTimeoutMs);
        Assert.Equal(BrokerCompressionType.Producer, options.CompressionType);
        Assert.Equal(60000, options.LogFlushOffsetCheckpointIntervalMs);
        Assert.Equal(5000, options.ReplicaHighWatermarkCheckpointIntervalMs);
        Assert.Equal(LogConfig.Default, options.LogDefaults);
    }

    [Fact]
    public void Retention_ms_wins_over_minutes_and_hours()
    {
        BrokerOptions options = Load(("log.retention.ms", "1234"), ("log.retention.minutes", "5"), ("log.retention.hours", "2"));

        Assert.Equal(1234, options.LogRetentionMs);
    }

    [Fact]
    public void Retention_minutes_win_over_hours()
    {
        BrokerOptions options = Load(("log.retention.minutes", "5"), ("log.retention.hours", "2"));

        Assert.Equal(5 * 60_000, options.LogRetentionMs);
    }

    [Fact]
    public void Retention_hours_apply_when_alone()
    {
        Assert.Equal(2 * 3_600_000, Load(("log.retention.hours", "2")).LogRetentionMs);
    }

    [Theory]
    [InlineData("log.retention.ms", "-1")]
    [InlineData("log.retention.ms", "-5")]
    [InlineData("log.retention.hours", "-1")]
    [InlineData("log.retention.minutes", "-30")]
    public void Negative_retention_means_forever(string key, string value)
    {
        Assert.Equal(-1, Load((key, value)).LogRetentionMs);
    }

    [Fact]
    public void Zero_retention_is_rejected_naming_the_key()
    {
        ConfigException ex = LoadFails(("log.retention.minutes", "0"));

        Assert.Equal("log.retention.minutes", ex.ConfigName);
        Assert.Contains("log.retention.minutes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Roll_ms_wins_over_hours_and_flush_ms_falls_back_to_scheduler_interval()
    {
        BrokerOptions options = Load(("log.roll.ms", "60000"), ("log.roll.hours", "1"), ("log.flush.scheduler.interval.ms", "2000"));

        Assert.Equal(60000, options.LogRollMs);
        Assert.Equal(2000, options.LogFlushIntervalMs);
        Assert.Equal(60000, options.LogDefaults.SegmentMs);
    }

    [Fact]
    public void Parses_multiple_listeners_with_ipv6_and_port_zero()
    {
        BrokerOptions options = Load(
            ("listeners", "plaintext://127.0.0.1:0, INTERNAL://[::1]:0,EXTERNAL://:9093"),
            ("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,EXTERNAL:PLAINTEXT"));

        Assert.Equal(
            [
                new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 0),
                new ListenerEndpoint("INTERNAL", "::1", 0),
                new ListenerEndpoint("EXTERNAL", string.Empty, 9093),
            ],
            options.Listeners);
        Assert.Equal("INTERNAL://[::1]:0", options.Listeners[1].ToString());
    }

    [Fact]
    public void Advertised_listeners_are_taken_as_given_and_must_name_known_listeners()
    {
        BrokerOptions options = Load(
            ("listeners", "PLAINTEXT://:9092"),
            ("advertised.listeners", "PLAINTEXT://192.168.33.131:9092"));

        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "192.168.33.131", 9092)], options.AdvertisedListeners);

        ConfigException ex = LoadFails(
            ("listeners", "PLAINTEXT://:9092"),
            ("advertised.listeners", "PLAINTEXT://h:9092,OTHER://h:9093"),
            ("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT"));
        Assert.Equal("advertised.listeners", ex.ConfigName);
    }

    [Fact]
    public void Advertising_the_wildcard_address_is_rejected()
    {
        ConfigException ex = LoadFails(("listeners", "PLAINTEXT://0.0.0.0:9092"));

        Assert.Contains("0.0.0.0", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("PLAINTEXT//localhost:9092", "Unable to parse")]
    [InlineData("PLAINTEXT://localhost", "Unable to parse")]
    [InlineData("://localhost:9092", "Unable to parse")]
    [InlineData("PLAINTEXT://localhost:http", "Invalid port")]
    [InlineData("PLAINTEXT://localhost:70000", "Invalid port")]
    [InlineData("PLAINTEXT://localhost:-1", "Invalid port")]
    [InlineData("FOO://localhost:9092", "No security protocol defined for listener FOO")]
    [InlineData("SSL://localhost:9092", "supports only PLAINTEXT")]
    [InlineData("PLAINTEXT://a:9092,PLAINTEXT://b:9093", "different name")]
    [InlineData("PLAINTEXT://a:9092,X://b:9092", "different port")]
    [InlineData("", "At least one listener")]
    public void Bad_listeners_are_rejected_naming_the_key(string listeners, string fragment)
    {
        ConfigException ex = LoadFails(("listeners", listeners), ("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,X:PLAINTEXT"));

        Assert.Equal("listeners", ex.ConfigName);
        Assert.Contains("for configuration listeners", ex.Message, StringComparison.Ordinal);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inter_broker_listener_must_be_advertised()
    {
        ConfigException ex = LoadFails(
            ("listeners", "CLIENT://localhost:9092"),
            ("listener.security.protocol.map", "CLIENT:PLAINTEXT"));

        Assert.Contains("inter.broker.listener.name", ex.Message, StringComparison.Ordinal);

        BrokerOptions options = Load(
            ("listeners", "CLIENT://localhost:9092"),
            ("listener.security.protocol.map", "CLIENT:PLAINTEXT"),
            ("inter.broker.listener.name", "client"));
        Assert.Equal("CLIENT", options.InterBrokerListenerName);
    }

    [Fact]
    public void Zookeeper_connect_selects_zookeeper_mode_and_is_validated()
    {
        BrokerOptions options = Load(("zookeeper.connect", "192.168.33.131:2181, 192.168.33.132:2181/kafka"), ("zookeeper.connection.timeout.ms", "6000"));

        Assert.False(options.IsStandalone);
        Assert.Equal(6000, options.ZooKeeperConnectionTimeoutMs);
        Assert.True(Load(("zookeeper.connect", "  ")).IsStandalone);

        ConfigException ex = LoadFails(("zookeeper.connect", "host:notaport"));
        Assert.Equal("zookeeper.connect", ex.ConfigName);
    }

    [Fact]
    public void Log_dirs_win_over_log_dir_and_must_not_be_empty()
    {
        Assert.Equal(["/a", "/b"], Load(("log.dirs", " /a , /b ,"), ("log.dir", "/c")).LogDirs);
        Assert.Equal(["/c"], Load(("log.dir", "/c")).LogDirs);

        ConfigException ex = LoadFails(("log.dirs", " , "));
        Assert.Equal("log.dirs", ex.ConfigName);
    }

    [Fact]
    public void Broker_id_above_reserved_range_is_rejected()
    {
        Assert.Equal(1000, Load(("broker.id", "1000")).BrokerId);

        ConfigException ex = LoadFails(("broker.id", "1001"));
        Assert.Equal("broker.id", ex.ConfigName);
        Assert.Contains("reserved.broker.max.id", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replica_fetch_wait_must_not_exceed_lag_time()
    {
        ConfigException ex = LoadFails(("replica.fetch.wait.max.ms", "40000"), ("replica.socket.timeout.ms", "60000"));

        Assert.Equal("replica.fetch.wait.max.ms", ex.ConfigName);
        Assert.Contains("replica.lag.time.max.ms", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Typed_enums_are_mapped()
    {
        BrokerOptions options = Load(
            ("log.cleanup.policy", "compact,delete"),
            ("log.message.timestamp.type", "LogAppendTime"),
            ("compression.type", "ZSTD"));

        Assert.Equal(CleanupPolicy.Compact | CleanupPolicy.Delete, options.LogCleanupPolicy);
        Assert.Equal(TimestampType.LogAppendTime, options.LogMessageTimestampType);
        Assert.Equal(BrokerCompressionType.Zstd, options.CompressionType);
    }

    [Fact]
    public void Unknown_keys_are_warnings_not_errors()
    {
        var properties = new Dictionary<string, string> { ["num.partitions"] = "3", ["no.such.key"] = "1" };

        BrokerOptions options = BrokerOptions.Load(properties, out IReadOnlyList<string> warnings);

        Assert.Equal(3, options.NumPartitions);
        Assert.Equal(["The configuration 'no.such.key' was supplied but isn't a known config."], warnings);
    }

    [Fact]
    public void Bad_value_message_mirrors_kafka()
    {
        ConfigException ex = LoadFails(("num.partitions", "abc"));

        Assert.Equal("Invalid value abc for configuration num.partitions: Not a number of type INT", ex.Message);
        Assert.Equal("num.partitions", ex.ConfigName);
        Assert.Equal("abc", ex.Value);
    }

    [Fact]
    public void Overrides_win_over_the_file()
    {
        var file = PropertiesFile.Parse("broker.id=0\nlog.dirs=/tmp/kafka-logs\nnum.partitions=1\n").Values;
        IReadOnlyDictionary<string, string> overrides = BrokerOptions.ParseOverrides(
            ["log.dirs=/tmp/other", "listeners=PLAINTEXT://localhost:0", "num.partitions=2", "num.partitions=4"]);

        IReadOnlyDictionary<string, string> merged = BrokerOptions.Merge(file, overrides);

        Assert.Equal("0", merged["broker.id"]);
        Assert.Equal("/tmp/other", merged["log.dirs"]);
        Assert.Equal("4", merged["num.partitions"]);
        BrokerOptions options = BrokerOptions.Load(merged, out _);
        Assert.Equal(["/tmp/other"], options.LogDirs);
        Assert.Equal(0, options.Listeners[0].Port);
        Assert.Equal(4, options.NumPartitions);
        Assert.Equal("1", file["num.partitions"]);
    }

    [Fact]
    public void Override_value_may_contain_equals_but_needs_a_key()
    {
        Assert.Equal("a=b", BrokerOptions.ParseOverrides(["k=a=b"])["k"]);
        Assert.Throws<ConfigException>(() => BrokerOptions.ParseOverrides(["=x"]));
        Assert.Throws<ConfigException>(() => BrokerOptions.ParseOverrides(["novalue"]));
    }
}
