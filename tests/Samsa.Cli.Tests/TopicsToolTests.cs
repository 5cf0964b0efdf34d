using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>kafka-topics.sh, kafka-console-producer.sh and kafka-console-consumer.sh against one broker process.</summary>
public sealed class TopicsToolTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Create_describe_alter_and_delete_print_kafkas_lines()
    {
        string b = fixture.BootstrapServers;
        var created = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", b, "--partitions", "3", "--replication-factor", "1", "--topic", "cli-a");
        Assert.Equal((0, "Created topic cli-a.\n"), (created.ExitCode, created.Stdout));

        var again = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", b, "--topic", "cli-a");
        Assert.Equal((1, "Error while executing topic command : Topic 'cli-a' already exists.\n"), (again.ExitCode, again.Stdout));
        var ifNotExists = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", b, "--topic", "cli-a", "--if-not-exists");
        Assert.Equal((0, ""), (ifNotExists.ExitCode, ifNotExists.Stdout));

        var warned = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", b, "--topic", "cli_b.c");
        Assert.StartsWith("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide.", warned.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("Created topic cli_b.c.\n", warned.Stdout, StringComparison.Ordinal);

        var listed = await ToolRun.RunAsync("kafka-topics", null, "--list", "--bootstrap-server", b);
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains("cli-a\n", listed.Stdout, StringComparison.Ordinal);

        var described = await ToolRun.RunAsync("kafka-topics", null, "--describe", "--topic", "cli-a", "--bootstrap-server", b);
        Assert.Equal(0, described.ExitCode);
        string[] lines = described.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Matches(@"^Topic: cli-a\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: .*$", lines[0]);
        Assert.Equal("\tTopic: cli-a\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0", lines[1]);
        Assert.Equal("\tTopic: cli-a\tPartition: 2\tLeader: 0\tReplicas: 0\tIsr: 0", lines[3]);

        var altered = await ToolRun.RunAsync("kafka-topics", null, "--alter", "--topic", "cli-a", "--partitions", "4", "--bootstrap-server", b);
        Assert.Equal((0, ""), (altered.ExitCode, altered.Stdout));
        var shrink = await ToolRun.RunAsync("kafka-topics", null, "--alter", "--topic", "cli-a", "--partitions", "2", "--bootstrap-server", b);
        Assert.Equal(1, shrink.ExitCode);
        Assert.StartsWith("Error while executing topic command : ", shrink.Stdout, StringComparison.Ordinal);

        var deleted = await ToolRun.RunAsync("kafka-topics", null, "--delete", "--topic", "cli-a", "--bootstrap-server", b);
        Assert.Equal((0, ""), (deleted.ExitCode, deleted.Stdout));
        var missing = await ToolRun.RunAsync("kafka-topics", null, "--describe", "--topic", "cli-missing", "--bootstrap-server", b);
        Assert.Equal((1, "Error while executing topic command : Topic 'cli-missing' does not exist as expected\n"), (missing.ExitCode, missing.Stdout));
    }

    [Fact]
    public async Task Lines_produced_are_consumed_from_the_beginning_with_keys()
    {
        string b = fixture.BootstrapServers;
        var created = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", b, "--partitions", "1", "--topic", "cli-pc");
        Assert.Equal(0, created.ExitCode);

        var produced = await ToolRun.RunAsync("kafka-console-producer", "k1:one\nk2:two\nk3:three\n",
            "--bootstrap-server", b, "--topic", "cli-pc", "--property", "parse.key=true", "--property", "key.separator=:");
        Assert.Equal((0, ""), (produced.ExitCode, produced.Stdout)); // no '>' prompt when stdin is piped

        var consumed = await ToolRun.RunAsync("kafka-console-consumer", null,
            "--bootstrap-server", b, "--topic", "cli-pc", "--from-beginning", "--max-messages", "3",
            "--property", "print.key=true", "--property", "key.separator=|");
        Assert.Equal(0, consumed.ExitCode);
        Assert.Equal("k1|one\nk2|two\nk3|three\n", consumed.Stdout);
        Assert.Contains("Processed a total of 3 messages", consumed.Stderr, StringComparison.Ordinal);

        var timedOut = await ToolRun.RunAsync("kafka-console-consumer", null,
            "--bootstrap-server", b, "--topic", "cli-pc", "--partition", "0", "--offset", "1", "--timeout-ms", "2000", "--property", "print.offset=true");
        Assert.Equal("Offset:1\ttwo\nOffset:2\tthree\n", timedOut.Stdout);
        Assert.Contains("Processed a total of 2 messages", timedOut.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kafka-topics", "--list --bootstrap-server {b} --bogus", "bogus is not a recognized option")]
    [InlineData("kafka-topics", "--bootstrap-server {b}", "Command must include exactly one action: --list, --describe, --create, --alter or --delete")]
    [InlineData("kafka-topics", "--create --topic x", "Missing required argument \"[bootstrap-server]\"")]
    [InlineData("kafka-console-producer", "--bootstrap-server {b}", "Missing required argument \"[topic]\"")]
    [InlineData("kafka-console-consumer", "--bootstrap-server {b} --topic t --offset 3", "The partition is required when offset is specified.")]
    [InlineData("kafka-console-consumer", "--bootstrap-server {b} --topic t --partition x", "Cannot parse argument 'x' of option partition")]
    [InlineData("kafka-configs", "--bootstrap-server {b} --describe", "Missing required argument \"[entity-type]\"")]
    public async Task Bad_command_lines_fail_with_one_message(string tool, string args, string message)
    {
        var run = await ToolRun.RunAsync(tool, null, args.Replace("{b}", fixture.BootstrapServers, StringComparison.Ordinal).Split(' '));
        Assert.Equal(1, run.ExitCode);
        Assert.Equal(message, run.Stderr.Split('\n')[0]);
    }

    [Theory]
    [InlineData("kafka-topics")]
    [InlineData("kafka-console-producer")]
    [InlineData("kafka-console-consumer")]
    [InlineData("kafka-configs")]
    public async Task Help_prints_the_option_table(string tool)
    {
        var run = await ToolRun.RunAsync(tool, null, "--help");
        Assert.Equal(1, run.ExitCode); // Kafka's printUsageAndDie
        Assert.Contains("--bootstrap-server", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("Option                                   Description", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_bootstrap_server_fails_quickly()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var run = await ToolRun.RunAsync("kafka-topics", null, "--list", "--bootstrap-server", "127.0.0.1:1");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal((1, "Error while executing topic command : Timed out waiting for a node assignment. Call: listTopics\n"), (run.ExitCode, run.Stdout));
        Assert.Contains("Connection to node -1 (127.0.0.1/127.0.0.1:1) could not be established. Broker may not be available.", run.Stderr, StringComparison.Ordinal);

        var consumer = await ToolRun.RunAsync("kafka-console-consumer", null, "--topic", "t", "--bootstrap-server", "127.0.0.1:1");
        Assert.Equal(1, consumer.ExitCode);
    }
}
