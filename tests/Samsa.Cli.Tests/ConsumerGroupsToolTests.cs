using System.Diagnostics;
using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>kafka-consumer-groups.sh against one broker process: groups made by the console consumer, as a user makes them.</summary>
public sealed class ConsumerGroupsToolTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const string OffsetsHeader =
        "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID";

    [Fact]
    public async Task List_and_describe_an_inactive_group_print_kafkas_columns()
    {
        string b = fixture.BootstrapServers;
        await CreateTopicWithLinesAsync("cg-desc", 5);
        await ConsumeAsync("cg-desc", "cg-desc-group", 3);

        var listed = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--list");
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains("cg-desc-group", listed.Stdout.Split('\n'));

        var described = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--describe", "--group", "cg-desc-group");
        Assert.Equal(0, described.ExitCode);
        Assert.Equal(
            "\n" + OffsetsHeader + "\n" +
            "cg-desc-group   cg-desc         0          3               5               2               -               -               -\n",
            described.Stdout);
        Assert.Equal("\nConsumer group 'cg-desc-group' has no active members.\n", described.Stderr);

        var state = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--describe", "--group", "cg-desc-group", "--state");
        Assert.Equal(0, state.ExitCode);
        string[] stateLines = state.Stdout.Split('\n');
        Assert.Equal("", stateLines[0]);
        Assert.Matches(@"^GROUP +COORDINATOR \(ID\) +ASSIGNMENT-STRATEGY +STATE +#MEMBERS$", stateLines[1]);
        Assert.Matches(@"^cg-desc-group +127\.0\.0\.1:\d+ \(0\) +Empty +0$", stateLines[2]);

        var listedStates = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--list", "--state", "empty");
        Assert.Equal(0, listedStates.ExitCode);
        Assert.StartsWith("GROUP           STATE\n", listedStates.Stdout, StringComparison.Ordinal);
        Assert.Contains("cg-desc-group   Empty\n", listedStates.Stdout, StringComparison.Ordinal);

        var missing = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--describe", "--group", "cg-no-such-group");
        Assert.Equal((1, "\nError: Consumer group 'cg-no-such-group' does not exist.\n"), (missing.ExitCode, missing.Stdout));
    }

    [Fact]
    public async Task Describe_shows_the_members_of_a_live_group_and_reset_refuses_it()
    {
        string b = fixture.BootstrapServers;
        await CreateTopicWithLinesAsync("cg-live", 2);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])[ToolRun.CliDll(), "kafka-console-consumer", "--bootstrap-server", b, "--topic", "cg-live", "--group", "cg-live-group", "--from-beginning"])
        {
            start.ArgumentList.Add(arg);
        }

        using var consumer = Process.Start(start)!;
        try
        {
            // Once the member owns the partition, its row names it instead of "-".
            var row = new System.Text.RegularExpressions.Regex(@"\ncg-live-group +cg-live +0 +2 +2 +0 +(?!- )\S+ +\S+ +\S+\n");
            var described = (ExitCode: -1, Stdout: "", Stderr: "");
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(40) && !row.IsMatch(described.Stdout))
            {
                await Task.Delay(200);
                described = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--describe", "--group", "cg-live-group");
            }

            bool stable = row.IsMatch(described.Stdout);
            Assert.True(stable, described.Stdout + described.Stderr);
            Assert.Equal(0, described.ExitCode);
            Assert.DoesNotContain("no active members", described.Stderr, StringComparison.Ordinal);
            Assert.Matches(@"^GROUP +TOPIC +PARTITION +CURRENT-OFFSET +LOG-END-OFFSET +LAG +CONSUMER-ID +HOST +CLIENT-ID$", described.Stdout.Split('\n')[1]);

            var members = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--describe", "--group", "cg-live-group", "--members", "--verbose");
            Assert.Equal(0, members.ExitCode);
            string[] lines = members.Stdout.Split('\n');
            Assert.Matches(@"^GROUP +CONSUMER-ID +HOST +CLIENT-ID +#PARTITIONS +ASSIGNMENT$", lines[1]);
            Assert.Matches(@"^cg-live-group +\S+ +\S+ +\S+ +1 +cg-live\(0\)$", lines[2]);

            var state = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--describe", "--group", "cg-live-group", "--state");
            Assert.Matches(@"\ncg-live-group +127\.0\.0\.1:\d+ \(0\) +\S+ +Stable +1\n", state.Stdout);

            var reset = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--reset-offsets", "--group", "cg-live-group",
                "--topic", "cg-live", "--to-earliest", "--execute");
            Assert.Equal(1, reset.ExitCode);
            Assert.StartsWith("\nError: Assignments can only be reset if the group 'cg-live-group' is inactive, but the current state is Stable.\n", reset.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            consumer.Kill(entireProcessTree: true);
            await consumer.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Reset_offsets_plans_with_dry_run_and_commits_with_execute()
    {
        string b = fixture.BootstrapServers;
        await CreateTopicWithLinesAsync("cg-reset", 6);
        await ConsumeAsync("cg-reset", "cg-reset-group", 4);

        var dryRun = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--reset-offsets", "--group", "cg-reset-group",
            "--topic", "cg-reset", "--to-earliest", "--dry-run");
        Assert.Equal(0, dryRun.ExitCode);
        Assert.Equal(
            "\nGROUP                          TOPIC                          PARTITION  NEW-OFFSET     \n" +
            "cg-reset-group                 cg-reset                       0          0              \n",
            dryRun.Stdout);
        Assert.Equal("4", await CommittedAsync("cg-reset-group")); // a dry run changes nothing

        var implicitDryRun = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--reset-offsets", "--group", "cg-reset-group",
            "--all-topics", "--to-latest");
        Assert.Equal(0, implicitDryRun.ExitCode);
        Assert.StartsWith("WARN: No action will be performed as the --execute option is missing.", implicitDryRun.Stderr, StringComparison.Ordinal);
        Assert.Equal("4", await CommittedAsync("cg-reset-group"));

        await ResetAsync("1", "--to-offset", "1");
        await ResetAsync("3", "--shift-by", "2");
        await ResetAsync("6", "--to-latest");
        await ResetAsync("0", "--to-datetime", "2000-01-01T00:00:00.000");
        await ResetAsync("6", "--to-offset", "100"); // clamped to the log end, with Kafka's warning
        await ResetAsync("0", "--shift-by", "-100");

        var exported = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--reset-offsets", "--group", "cg-reset-group",
            "--topic", "cg-reset:0", "--to-offset", "2", "--dry-run", "--export");
        Assert.Equal((0, "cg-reset,0,2\n\n"), (exported.ExitCode, exported.Stdout));

        var noPartition = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--reset-offsets", "--group", "cg-reset-group",
            "--topic", "cg-reset:7", "--to-earliest", "--execute");
        Assert.Equal(1, noPartition.ExitCode);
        Assert.Equal("\nError: Executing consumer group command failed due to org.apache.kafka.common.errors.UnknownTopicOrPartitionException: The partitions \"cg-reset-7\" do not exist\n",
            noPartition.Stdout);

        var offsetsDeleted = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--delete-offsets", "--group", "cg-reset-group", "--topic", "cg-reset");
        Assert.Equal((0, "Request succeed for deleting offsets with topic cg-reset group cg-reset-group\n\n" +
            "TOPIC           PARTITION  STATUS         \ncg-reset        0          Successful     \n"), (offsetsDeleted.ExitCode, offsetsDeleted.Stdout));
        var described = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--describe", "--group", "cg-reset-group");
        Assert.Equal((0, ""), (described.ExitCode, described.Stdout)); // no committed offsets left, no rows

        async Task ResetAsync(string expected, params string[] scenario)
        {
            var run = await ToolRun.RunAsync("kafka-consumer-groups", null,
                ["--bootstrap-server", b, "--reset-offsets", "--group", "cg-reset-group", "--topic", "cg-reset", .. scenario, "--execute"]);
            Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
            Assert.EndsWith($"cg-reset-group                 cg-reset                       0          {expected.PadRight(15)}\n", run.Stdout, StringComparison.Ordinal);
            Assert.Equal(expected, await CommittedAsync("cg-reset-group"));
        }
    }

    [Fact]
    public async Task Delete_removes_an_inactive_group_and_reports_one_that_is_gone()
    {
        string b = fixture.BootstrapServers;
        await CreateTopicWithLinesAsync("cg-del", 1);
        await ConsumeAsync("cg-del", "cg-del-group", 1);

        var deleted = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--delete", "--group", "cg-del-group");
        Assert.Equal((0, "Deletion of requested consumer groups ('cg-del-group') was successful.\n"), (deleted.ExitCode, deleted.Stdout));

        var listed = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--list");
        Assert.DoesNotContain("cg-del-group", listed.Stdout.Split('\n'));

        var again = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--delete", "--group", "cg-del-group");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal(
            "\nError: Deletion of some consumer groups failed:\n" +
            "* Group 'cg-del-group' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.\n",
            again.Stdout);

        var noGroup = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", b, "--delete-offsets", "--group", "cg-del-group", "--topic", "cg-del");
        Assert.Equal(1, noGroup.ExitCode);
        Assert.StartsWith("\nError: The group id does not exist.\n\nTOPIC ", noGroup.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bootstrap-server {b} --bogus", "bogus is not a recognized option")]
    [InlineData("--list", "Missing required argument \"[bootstrap-server]\"")]
    [InlineData("--bootstrap-server {b}", "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets")]
    [InlineData("--bootstrap-server {b} --describe", "Option [describe] takes one of these options: [group], [all-groups]")]
    [InlineData("--bootstrap-server {b} --describe --group g --members --state", "Option [describe] takes at most one of these options: [members], [offsets], [state]")]
    [InlineData("--bootstrap-server {b} --reset-offsets --group g --to-earliest --dry-run --execute", "Option [reset-offsets] only accepts one of [execute] and [dry-run]")]
    [InlineData("--bootstrap-server {b} --reset-offsets --group g --to-earliest --to-latest", "Option \"[to-earliest]\" can't be used with option \"[to-latest]\"")]
    [InlineData("--bootstrap-server {b} --reset-offsets --group g --to-earliest --dry-run", "One of the reset scopes should be defined: --all-topics, --topic.")]
    [InlineData("--bootstrap-server {b} --reset-offsets --group g --topic t --to-offset x", "Cannot parse argument 'x' of option to-offset")]
    [InlineData("--bootstrap-server {b} --delete --group g --topic t", "The consumer does not support topic-specific offset deletion from a consumer group.")]
    public async Task Bad_command_lines_fail_with_kafkas_message(string args, string message)
    {
        var run = await ToolRun.RunAsync("kafka-consumer-groups", null, args.Replace("{b}", fixture.BootstrapServers, StringComparison.Ordinal).Split(' '));
        Assert.Equal(1, run.ExitCode);
        string[] lines = run.Stderr.Split('\n');
        Assert.Contains(message, lines);
    }

    [Fact]
    public async Task Help_prints_the_option_table_and_an_unreachable_server_fails_quickly()
    {
        var help = await ToolRun.RunAsync("kafka-consumer-groups", null, "--help");
        Assert.Equal(1, help.ExitCode); // Kafka's printUsageAndDie
        Assert.StartsWith("This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.\n", help.Stderr, StringComparison.Ordinal);
        Assert.Contains("--reset-offsets", help.Stderr, StringComparison.Ordinal);

        var clock = Stopwatch.StartNew();
        var run = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", "127.0.0.1:1", "--list");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        Assert.Equal((1, "\nError: Executing consumer group command failed due to org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: listConsumerGroups\n"),
            (run.ExitCode, run.Stdout));
    }

    private async Task CreateTopicWithLinesAsync(string topic, int lines)
    {
        var created = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", fixture.BootstrapServers, "--partitions", "1", "--topic", topic);
        Assert.Equal(0, created.ExitCode);
        string text = string.Concat(Enumerable.Range(1, lines).Select(i => $"line-{i}\n"));
        var produced = await ToolRun.RunAsync("kafka-console-producer", text, "--bootstrap-server", fixture.BootstrapServers, "--topic", topic);
        Assert.Equal(0, produced.ExitCode);
    }

    /// <summary>Reads <paramref name="count"/> records as group <paramref name="group"/>; the console consumer commits them on exit.</summary>
    private async Task ConsumeAsync(string topic, string group, int count)
    {
        var consumed = await ToolRun.RunAsync("kafka-console-consumer", null, "--bootstrap-server", fixture.BootstrapServers, "--topic", topic,
            "--group", group, "--from-beginning", "--max-messages", count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, consumed.ExitCode);
    }

    /// <summary>The group's committed offset of partition 0, read back through --describe.</summary>
    private async Task<string> CommittedAsync(string group)
    {
        var described = await ToolRun.RunAsync("kafka-consumer-groups", null, "--bootstrap-server", fixture.BootstrapServers, "--describe", "--group", group);
        Assert.Equal(0, described.ExitCode);
        string row = described.Stdout.Split('\n')[2];
        return row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3];
    }
}
