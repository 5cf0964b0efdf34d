using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>kafka-configs.sh --describe and --alter against one broker process.</summary>
public sealed class ConfigsToolTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Topic_configs_are_added_described_and_deleted()
    {
        string b = fixture.BootstrapServers;
        var created = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", b, "--topic", "cfg-t");
        Assert.Equal(0, created.ExitCode);

        var none = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--describe", "--entity-type", "topics", "--entity-name", "cfg-t");
        Assert.Equal((0, "Dynamic configs for topic cfg-t are:\n"), (none.ExitCode, none.Stdout));

        var added = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--alter", "--entity-type", "topics", "--entity-name", "cfg-t",
            "--add-config", "retention.ms=1000,max.message.bytes=2048");
        Assert.Equal((0, "Completed updating config for topic cfg-t.\n"), (added.ExitCode, added.Stdout));

        var described = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--describe", "--topic", "cfg-t");
        Assert.Equal(0, described.ExitCode);
        Assert.Equal(
            "Dynamic configs for topic cfg-t are:\n" +
            "  max.message.bytes=2048 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:max.message.bytes=2048, DEFAULT_CONFIG:message.max.bytes=1048588}\n" +
            "  retention.ms=1000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=1000}\n",
            described.Stdout);

        var deleted = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--alter", "--topic", "cfg-t", "--delete-config", "retention.ms");
        Assert.Equal((0, "Completed updating config for topic cfg-t.\n"), (deleted.ExitCode, deleted.Stdout));
        var after = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--describe", "--topic", "cfg-t");
        Assert.DoesNotContain("retention.ms", after.Stdout, StringComparison.Ordinal);
        Assert.Contains("  max.message.bytes=2048 ", after.Stdout, StringComparison.Ordinal);

        var notSet = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--alter", "--topic", "cfg-t", "--delete-config", "retention.ms");
        Assert.Equal((1, "Invalid config(s): retention.ms\n"), (notSet.ExitCode, notSet.Stderr));
    }

    [Fact]
    public async Task Broker_configs_are_described_and_a_missing_topic_fails_with_one_message()
    {
        string b = fixture.BootstrapServers;
        var all = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--describe", "--entity-type", "brokers", "--entity-name", "0", "--all");
        Assert.Equal(0, all.ExitCode);
        Assert.StartsWith("All configs for broker 0 are:\n", all.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"\n  log\.dirs=\S+ sensitive=false synonyms=\{STATIC_BROKER_CONFIG:log\.dirs=\S+", all.Stdout);

        var brokers = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--describe", "--entity-type", "brokers");
        Assert.Equal((0, "Dynamic configs for broker 0 are:\nDefault configs for brokers in the cluster are:\n"), (brokers.ExitCode, brokers.Stdout));

        var missing = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--describe", "--topic", "cfg-no-such-topic");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: The topic 'cfg-no-such-topic' does not exist.",
            missing.Stderr.Split('\n')[1]);

        var defaults = await ToolRun.RunAsync("kafka-configs", null, "--bootstrap-server", b, "--describe", "--entity-type", "brokers", "--entity-default");
        Assert.Equal((0, "Default configs for brokers in the cluster are:\n"), (defaults.ExitCode, defaults.Stdout));
    }
}
