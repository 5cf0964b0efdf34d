using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>
/// kafka-configs.sh on brokers, as a user runs it: a broker's own dynamic configs and the
/// cluster-wide defaults (--entity-default), added, described in Kafka's layout and deleted, and a
/// read-only key refused. The broker runs the stock config/server.properties (log.retention.hours=168).
/// </summary>
public sealed class ConfigsBrokerToolTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private Task<(int ExitCode, string Stdout, string Stderr)> ConfigsAsync(params string[] args) =>
        ToolRun.RunAsync("kafka-configs", null, ["--bootstrap-server", fixture.BootstrapServers, .. args]);

    [Fact]
    public async Task A_brokers_own_and_default_configs_are_added_described_and_deleted()
    {
        var added = await ConfigsAsync("--alter", "--entity-type", "brokers", "--entity-name", "0", "--add-config", "log.retention.ms=3600000,log.cleaner.threads=2");
        Assert.Equal((0, "Completed updating config for broker 0.\n", ""), added);

        var own = await ConfigsAsync("--describe", "--broker", "0");
        Assert.Equal(
            (0,
            "Dynamic configs for broker 0 are:\n" +
            "  log.cleaner.threads=2 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.cleaner.threads=2, DEFAULT_CONFIG:log.cleaner.threads=1}\n" +
            "  log.retention.ms=3600000 sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.ms=3600000, STATIC_BROKER_CONFIG:log.retention.hours=168, DEFAULT_CONFIG:log.retention.hours=168}\n"),
            (own.ExitCode, own.Stdout));

        var defaultAdded = await ConfigsAsync("--alter", "--entity-type", "brokers", "--entity-default", "--add-config", "message.max.bytes=2000000");
        Assert.Equal((0, "Completed updating default config for brokers in the cluster.\n", ""), defaultAdded);

        const string defaults =
            "Default configs for brokers in the cluster are:\n" +
            "  message.max.bytes=2000000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=2000000, DEFAULT_CONFIG:message.max.bytes=1048588}\n";
        var describedDefaults = await ConfigsAsync("--describe", "--entity-type", "brokers", "--entity-default");
        Assert.Equal((0, defaults), (describedDefaults.ExitCode, describedDefaults.Stdout));

        // Without a name: every broker, then the defaults.
        var everything = await ConfigsAsync("--describe", "--entity-type", "brokers");
        Assert.Equal(0, everything.ExitCode);
        Assert.StartsWith("Dynamic configs for broker 0 are:\n  log.cleaner.threads=2 ", everything.Stdout, StringComparison.Ordinal);
        Assert.EndsWith(defaults, everything.Stdout, StringComparison.Ordinal);

        // --all shows the default where it applies, and server.properties for the rest.
        var all = await ConfigsAsync("--describe", "--broker", "0", "--all");
        Assert.Equal(0, all.ExitCode);
        Assert.Contains("\n  message.max.bytes=2000000 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:message.max.bytes=2000000, DEFAULT_CONFIG:message.max.bytes=1048588}\n", all.Stdout, StringComparison.Ordinal);
        Assert.Contains("\n  broker.id=0 sensitive=false synonyms={STATIC_BROKER_CONFIG:broker.id=0, DEFAULT_CONFIG:broker.id=-1}\n", all.Stdout, StringComparison.Ordinal);

        var deleted = await ConfigsAsync("--alter", "--broker", "0", "--delete-config", "log.retention.ms,log.cleaner.threads");
        Assert.Equal((0, "Completed updating config for broker 0.\n"), (deleted.ExitCode, deleted.Stdout));
        var defaultDeleted = await ConfigsAsync("--alter", "--broker-defaults", "--delete-config", "message.max.bytes");
        Assert.Equal((0, "Completed updating default config for brokers in the cluster.\n"), (defaultDeleted.ExitCode, defaultDeleted.Stdout));

        var empty = await ConfigsAsync("--describe", "--entity-type", "brokers");
        Assert.Equal((0, "Dynamic configs for broker 0 are:\nDefault configs for brokers in the cluster are:\n"), (empty.ExitCode, empty.Stdout));

        var notSet = await ConfigsAsync("--alter", "--broker", "0", "--delete-config", "log.retention.ms");
        Assert.Equal((1, "Invalid config(s): log.retention.ms\n"), (notSet.ExitCode, notSet.Stderr));
    }

    [Fact]
    public async Task A_read_only_key_or_a_bad_value_is_refused_with_kafkas_exception_line()
    {
        var readOnly = await ConfigsAsync("--alter", "--entity-type", "brokers", "--entity-name", "0", "--add-config", "broker.id=5");
        Assert.Equal(1, readOnly.ExitCode);
        Assert.Equal(
            "java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.InvalidRequestException: Invalid config value for resource ConfigResource(type=BROKER, name='0'): Cannot update these configs dynamically: Set(broker.id)",
            readOnly.Stderr.Split('\n')[1]);

        var badValue = await ConfigsAsync("--alter", "--entity-default", "--entity-type", "brokers", "--add-config", "log.retention.ms=soon");
        Assert.Equal(1, badValue.ExitCode);
        Assert.Contains("InvalidConfigurationException: Invalid value soon for configuration log.retention.ms: Not a number of type LONG", badValue.Stderr, StringComparison.Ordinal);

        var notAnId = await ConfigsAsync("--describe", "--entity-type", "brokers", "--entity-name", "one");
        Assert.Equal((1, "The entity name for brokers must be a valid integer broker id, found: one\n"), (notAnId.ExitCode, notAnId.Stderr));
    }
}
