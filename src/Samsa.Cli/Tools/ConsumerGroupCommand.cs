using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Cli.Clients;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// kafka-consumer-groups.sh: --list, --describe (offsets, --members, --state), --delete,
/// --reset-offsets and --delete-offsets through the admin client, with the flags, checks and
/// output of Kafka 3.x's ConsumerGroupCommand (core/src/main/scala/kafka/admin/ConsumerGroupCommand.scala;
/// 3.7+ moved it to tools/.../consumer/group/ConsumerGroupCommand.java with the same layouts).
/// </summary>
/// <remarks>
/// Kafka prints "\nError: ..." on stdout for a group that does not exist or a failed call and still
/// exits 0; Samsa prints the same line but exits 1, because scripts need to see the failure
/// (issue 7: a problem is one line and a non-zero exit code).
/// </remarks>
internal sealed partial class ConsumerGroupCommand
{
    /// <summary>Kafka's MISSING_COLUMN_VALUE.</summary>
    private const string Missing = "-";

    private const string ToolDescription = "This tool helps to list all consumer groups, describe a consumer group, delete consumer group info, or reset consumer group offsets.";

    private static readonly string[] Actions = ["list", "describe", "delete", "reset-offsets", "delete-offsets"];

    /// <summary>The reset scenarios in the order Kafka declares them.</summary>
    private static readonly string[] ResetScenarios = ["to-offset", "shift-by", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "from-file"];

    private readonly OptionParser _parser = new();
    private ParsedOptions _options = null!;
    private TimeSpan _timeout;
    private bool _failed;

    private ConsumerGroupCommand()
    {
        _parser.Accept("all-groups", "Apply to all consumer groups.");
        _parser.Accept("all-topics", "Consider all topics assigned to a group in the `reset-offsets` process.");
        _parser.AcceptValue("bootstrap-server", "REQUIRED: The server(s) to connect to.", "server to connect to");
        _parser.AcceptValue("by-duration", "Reset offsets to offset by duration from current timestamp. Format: 'PnDTnHnMnS'", "duration");
        _parser.AcceptValue("command-config", "Property file containing configs to be passed to Admin Client and Consumer.", "command config property file");
        _parser.Accept("delete", "Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2");
        _parser.Accept("delete-offsets", "Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics.");
        _parser.Accept("describe", "Describe consumer group and list offset lag (number of messages not yet processed) related to given group.");
        _parser.Accept("dry-run", "Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets.");
        _parser.Accept("execute", "Execute operation. Supported operations: reset-offsets.");
        _parser.Accept("export", "Export operation execution to a CSV file. Supported operations: reset-offsets.");
        _parser.AcceptValue("from-file", "Reset offsets to values defined in CSV file.", "path to CSV file");
        _parser.AcceptValue("group", "The consumer group we wish to act on.", "consumer group");
        _parser.Accept("list", "List all consumer groups.");
        _parser.Accept("members", "Describe members of the group. This option may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members");
        _parser.Accept("offsets", "Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '--describe' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --offsets");
        _parser.Accept("reset-offsets", "Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive\nHas 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option is used to export the results to a CSV format.\nYou must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset.\nTo define the scope use --all-topics or --topic. One scope must be specified unless you use '--from-file'.");
        _parser.AcceptValue("shift-by", "Reset offsets shifting current offset by 'n', where 'n' can be positive or negative.", "number-of-offsets", "Long");
        _parser.AcceptOptionalValue("state", "When specified with '--describe', includes the state of the group.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --state\nWhen specified with '--list', it displays the state of all groups. It can also be used to list groups with specific states.\nExample: --bootstrap-server localhost:9092 --list --state stable,empty\nThis option may be used with '--describe', '--list' and '--bootstrap-server' options only.", "String");
        _parser.AcceptValue("timeout", "The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes (when the group is just created, or is going through some changes).", "timeout (ms)", "Long", "5000");
        _parser.Accept("to-current", "Reset offsets to current offset.");
        _parser.AcceptValue("to-datetime", "Reset offsets to offset from datetime. Format: 'YYYY-MM-DDTHH:mm:SS.sss'", "datetime");
        _parser.Accept("to-earliest", "Reset offsets to earliest offset.");
        _parser.Accept("to-latest", "Reset offsets to latest offset.");
        _parser.AcceptValue("to-offset", "Reset offsets to a specific offset.", "offset", "Long");
        _parser.AcceptValue("topic", "The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs.", "topic");
        _parser.Accept("verbose", "Provide additional information, if any, when describing the group. This option may be used with '--offsets'/'--members'/'--state' and '--bootstrap-server' options only.\nExample: --bootstrap-server localhost:9092 --describe --group group1 --members --verbose");
    }

    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        new ConsumerGroupCommand().ExecuteAsync(args, cancellationToken);

    private async Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0)
        {
            throw _parser.Die(ToolDescription);
        }

        _options = _parser.Parse(args);
        if (_options.Has("help"))
        {
            throw _parser.Die(ToolDescription);
        }

        int actions = 0;
        foreach (string action in Actions)
        {
            actions += _options.Has(action) ? 1 : 0;
        }

        if (actions != 1)
        {
            throw _parser.Die("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets");
        }

        CheckArgs();
        _timeout = TimeSpan.FromMilliseconds(Math.Max(1, _options.Int64("timeout") ?? 5000));

        string bootstrap = _options.Value("bootstrap-server")!;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_options.Value("command-config") is string file)
        {
            foreach ((string key, string value) in ClientProperties.LoadFile(file))
            {
                properties[key] = value;
            }
        }

        BootstrapProbe probe = await BootstrapProbe.RunAsync(bootstrap, cancellationToken).ConfigureAwait(false);
        if (!probe.Reachable)
        {
            ToolLog.Write("WARN", probe.UnreachableMessage("AdminClient clientId=adminclient-1"), "org.apache.kafka.clients.NetworkClient");
            PrintError("Executing consumer group command failed due to " +
                KafkaErrorText.ExceptionLine(new Error(ErrorCode.Local_TimedOut), OperationName()));
            return 1;
        }

        using IAdminClient admin = KafkaClients.Admin(bootstrap, properties);
        try
        {
            if (_options.Has("list"))
            {
                await ListAsync(admin).ConfigureAwait(false);
            }
            else if (_options.Has("describe"))
            {
                await DescribeAsync(admin).ConfigureAwait(false);
            }
            else if (_options.Has("delete"))
            {
                await DeleteAsync(admin).ConfigureAwait(false);
            }
            else if (_options.Has("reset-offsets"))
            {
                await ResetOffsetsAsync(admin).ConfigureAwait(false);
            }
            else
            {
                await DeleteOffsetsAsync(admin).ConfigureAwait(false);
            }
        }
        catch (KafkaException e)
        {
            PrintError("Executing consumer group command failed due to " + KafkaErrorText.ExceptionLine(e.Error, OperationName()));
            return 1;
        }

        return _failed ? 1 : 0;
    }

    /// <summary>ConsumerGroupCommandOptions.checkArgs, with Kafka's messages.</summary>
    private void CheckArgs()
    {
        _parser.Require(_options, "bootstrap-server");
        const string GroupScopes = "[group], [all-groups]";
        if (_options.Has("describe"))
        {
            if (!_options.Has("group") && !_options.Has("all-groups"))
            {
                throw _parser.Die("Option [describe] takes one of these options: " + GroupScopes);
            }

            int views = (_options.Has("members") ? 1 : 0) + (_options.Has("offsets") ? 1 : 0) + (_options.Has("state") ? 1 : 0);
            if (views > 1)
            {
                throw _parser.Die("Option [describe] takes at most one of these options: [members], [offsets], [state]");
            }

            if (_options.Has("state") && _options.Value("state") is not null)
            {
                throw _parser.Die("Option [describe] does not take a value for [state]");
            }
        }
        else
        {
            foreach (string describeOnly in (string[])["members", "offsets", "verbose"])
            {
                if (_options.Has(describeOnly))
                {
                    // joptsimple's availableIf: the option is refused outside --describe.
                    throw _parser.Die($"Option {describeOnly} is unavailable without option(s) [describe]");
                }
            }
        }

        if (_options.Has("state") && !_options.Has("describe") && !_options.Has("list"))
        {
            throw _parser.Die("Option state is unavailable without option(s) [describe, list]");
        }

        if (_options.Has("delete"))
        {
            if (!_options.Has("group") && !_options.Has("all-groups"))
            {
                throw _parser.Die("Option [delete] takes one of these options: " + GroupScopes);
            }

            if (_options.Has("topic"))
            {
                throw _parser.Die("The consumer does not support topic-specific offset deletion from a consumer group.");
            }
        }

        if (_options.Has("delete-offsets") && (!_options.Has("group") || !_options.Has("topic")))
        {
            throw _parser.Die("Option [delete-offsets] takes the following options: [group], [topic]");
        }

        if (_options.Has("reset-offsets"))
        {
            if (_options.Has("dry-run") && _options.Has("execute"))
            {
                throw _parser.Die("Option [reset-offsets] only accepts one of [execute] and [dry-run]");
            }

            if (!_options.Has("dry-run") && !_options.Has("execute"))
            {
                Console.Error.WriteLine("WARN: No action will be performed as the --execute option is missing.In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.");
            }

            if (!_options.Has("group") && !_options.Has("all-groups"))
            {
                throw _parser.Die("Option [reset-offsets] takes one of these options: " + GroupScopes);
            }

            foreach (string scenario in ResetScenarios)
            {
                var others = new List<string>(ResetScenarios);
                others.Remove(scenario);
                _parser.Forbid(_options, scenario, [.. others]);
            }

            // Kafka finds a missing scope only after asking for the group; it is the command line's fault either way.
            if (!_options.Has("all-topics") && !_options.Has("topic") && !_options.Has("from-file"))
            {
                throw _parser.Die("One of the reset scopes should be defined: --all-topics, --topic.");
            }
        }

        // joptsimple converts typed values while parsing, so a bad number fails before any connection.
        _ = _options.Int64("timeout");
        _ = _options.Int64("to-offset");
        _ = _options.Int64("shift-by");
        _parser.Forbid(_options, "group", "all-groups");
        _parser.Forbid(_options, "group", "list");
        _parser.Forbid(_options, "topic", "list", "describe");
    }

    /// <summary>The admin call a timeout names, as Java's AdminClient names it.</summary>
    private string OperationName() =>
        _options.Has("list") ? "LIST_CONSUMER_GROUPS"
        : _options.Has("delete") ? "DELETE_CONSUMER_GROUPS"
        : _options.Has("delete-offsets") ? "DELETE_CONSUMER_GROUP_OFFSETS"
        : "DESCRIBE_CONSUMER_GROUPS";

    /// <summary>Kafka's printError: a blank line, then "Error: message", on stdout. Samsa also remembers to exit 1.</summary>
    private void PrintError(string message)
    {
        _failed = true;
        Console.Out.Write("\nError: " + message + "\n");
    }

    private async Task ListAsync(IAdminClient admin)
    {
        List<ConsumerGroupListing> groups = await ListGroupsAsync(admin).ConfigureAwait(false);
        var output = new System.Text.StringBuilder();
        if (!_options.Has("state"))
        {
            foreach (ConsumerGroupListing group in groups)
            {
                output.Append(group.GroupId).Append('\n');
            }

            Console.Out.Write(output.ToString());
            return;
        }

        // --list --state [s1,s2]: the GROUP and STATE columns, optionally filtered by state.
        HashSet<ConsumerGroupState>? wanted = ParseStates(_options.Value("state"));
        var shown = new List<ConsumerGroupListing>();
        int groupWidth = 15;
        foreach (ConsumerGroupListing group in groups)
        {
            if (wanted is null || wanted.Contains(group.State))
            {
                shown.Add(group);
                groupWidth = Math.Max(groupWidth, group.GroupId.Length);
            }
        }

        output.Append(Column("GROUP", groupWidth)).Append(' ').Append("STATE").Append('\n');
        foreach (ConsumerGroupListing group in shown)
        {
            output.Append(Column(group.GroupId, groupWidth)).Append(' ').Append(group.State.ToString()).Append('\n');
        }

        Console.Out.Write(output.ToString());
    }

    private HashSet<ConsumerGroupState>? ParseStates(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var states = new HashSet<ConsumerGroupState>();
        foreach (string word in text.Split(',', StringSplitOptions.TrimEntries))
        {
            ConsumerGroupState? state = null;
            foreach (ConsumerGroupState candidate in Enum.GetValues<ConsumerGroupState>())
            {
                if (candidate != ConsumerGroupState.Unknown && string.Equals(candidate.ToString(), word, StringComparison.OrdinalIgnoreCase))
                {
                    state = candidate;
                }
            }

            if (state is null)
            {
                throw _parser.Die($"Invalid state list '{text}'. Valid states are: PreparingRebalance, CompletingRebalance, Stable, Dead, Empty");
            }

            states.Add(state.Value);
        }

        return states;
    }

    private async Task<List<ConsumerGroupListing>> ListGroupsAsync(IAdminClient admin)
    {
        try
        {
            ListConsumerGroupsResult result = await admin.ListConsumerGroupsAsync(
                new ListConsumerGroupsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
            return result.Valid;
        }
        catch (ListConsumerGroupsException e) when (e.Results.Errors.Count > 0)
        {
            throw new KafkaException(e.Results.Errors[0]);
        }
    }

    /// <summary>The groups a command acts on: every group with --all-groups, else each --group.</summary>
    private async Task<List<string>> GroupIdsAsync(IAdminClient admin)
    {
        if (!_options.Has("all-groups"))
        {
            return [.. _options.Values("group")];
        }

        var ids = new List<string>();
        foreach (ConsumerGroupListing group in await ListGroupsAsync(admin).ConfigureAwait(false))
        {
            ids.Add(group.GroupId);
        }

        return ids;
    }

    private async Task DeleteAsync(IAdminClient admin)
    {
        List<string> groups = await GroupIdsAsync(admin).ConfigureAwait(false);
        var succeeded = new List<string>();
        var failed = new List<(string Group, Error Error)>();
        try
        {
            await admin.DeleteGroupsAsync(groups, new DeleteGroupsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
            succeeded.AddRange(groups);
        }
        catch (DeleteGroupsException e)
        {
            foreach (DeleteGroupReport report in e.Results)
            {
                if (report.Error.IsError)
                {
                    failed.Add((report.Group, report.Error));
                }
                else
                {
                    succeeded.Add(report.Group);
                }
            }
        }

        if (failed.Count == 0)
        {
            Console.Out.Write($"Deletion of requested consumer groups ({Quoted(succeeded)}) was successful.\n");
            return;
        }

        PrintError("Deletion of some consumer groups failed:");
        foreach ((string group, Error error) in failed)
        {
            Console.Out.Write($"* Group '{group}' could not be deleted due to: {KafkaErrorText.ExceptionLine(error, "DELETE_CONSUMER_GROUPS")}\n");
        }

        if (succeeded.Count > 0)
        {
            Console.Out.Write($"\nThese consumer groups were deleted successfully: {Quoted(succeeded)}\n");
        }
    }

    private async Task DeleteOffsetsAsync(IAdminClient admin)
    {
        string group = _options.Value("group")!;
        List<TopicPartition> partitions = await PartitionsOfTopicsAsync(admin, _options.Values("topic")).ConfigureAwait(false);
        var statuses = new List<(TopicPartition Partition, string Status)>();
        try
        {
            await admin.DeleteConsumerGroupOffsetsAsync(group, partitions,
                new DeleteConsumerGroupOffsetsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
            Console.Out.Write($"Request succeed for deleting offsets with topic {string.Join(", ", _options.Values("topic"))} group {group}\n");
            foreach (TopicPartition partition in partitions)
            {
                statuses.Add((partition, "Successful"));
            }
        }
        catch (KafkaException e) when (e.Error.Code is ErrorCode.GroupIdNotFound or ErrorCode.InvalidGroupId
            or ErrorCode.GroupAuthorizationFailed or ErrorCode.NonEmptyGroup)
        {
            // Kafka's group-level failures: the error's message, then every partition failed with it.
            string message = KafkaErrorText.Message(e.Error);
            PrintError(message);
            foreach (TopicPartition partition in partitions)
            {
                statuses.Add((partition, "Error: " + message));
            }
        }
        catch (DeleteConsumerGroupOffsetsException e)
        {
            if (e.Result.Error.IsError)
            {
                PrintError(KafkaErrorText.Message(e.Result.Error));
            }
            else
            {
                PrintError("Encountered some partition-level error, see the follow-up details:");
            }

            foreach (TopicPartitionOffsetError partition in e.Result.Partitions)
            {
                statuses.Add((partition.TopicPartition, partition.Error.IsError
                    ? "Error: " + KafkaErrorText.Message(partition.Error)
                    : "Successful"));
            }
        }

        int topicWidth = 15;
        foreach ((TopicPartition partition, _) in statuses)
        {
            topicWidth = Math.Max(topicWidth, partition.Topic.Length);
        }

        statuses.Sort(static (a, b) => ComparePartitions(a.Partition, b.Partition));
        var output = new System.Text.StringBuilder();
        output.Append('\n').Append(Column("TOPIC", topicWidth)).Append(' ').Append(Column("PARTITION", 10)).Append(' ').Append(Column("STATUS", 15));
        foreach ((TopicPartition partition, string status) in statuses)
        {
            output.Append('\n').Append(Column(partition.Topic, topicWidth)).Append(' ')
                .Append(Column(partition.Partition.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), 10)).Append(' ')
                .Append(Column(status, 15));
        }

        Console.Out.Write(output.Append('\n').ToString());
    }

    private static string Quoted(List<string> groups)
    {
        var quoted = new List<string>(groups.Count);
        foreach (string group in groups)
        {
            quoted.Add("'" + group + "'");
        }

        return string.Join(", ", quoted);
    }

    /// <summary>Java's "%-Ns": left-aligned, padded to at least <paramref name="width"/>, never cut.</summary>
    private static string Column(string value, int width) => value.PadRight(width);

    private static int ComparePartitions(TopicPartition a, TopicPartition b)
    {
        int byTopic = string.CompareOrdinal(a.Topic, b.Topic);
        return byTopic != 0 ? byTopic : a.Partition.Value.CompareTo(b.Partition.Value);
    }
}
