using System.Globalization;
using System.Text;
using System.Xml;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Cli.Clients;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// --reset-offsets: plan new committed offsets for inactive groups (Empty, or Dead = no such
/// group yet) and, with --execute, commit them through AlterConsumerGroupOffsets. The plan is printed
/// as Kafka 3.x's printOffsetsToReset does ("%-30s %-30s %-10s %-15s": GROUP TOPIC PARTITION
/// NEW-OFFSET), or as CSV with --export. Offsets outside the log are clamped to it with Kafka's
/// warning, as its checkOffsetsRange does.
/// </summary>
internal sealed partial class ConsumerGroupCommand
{
    private async Task ResetOffsetsAsync(IAdminClient admin)
    {
        List<string> groupIds = await GroupIdsAsync(admin).ConfigureAwait(false);
        List<ConsumerGroupDescription> groups = await DescribeGroupsAsync(admin, groupIds).ConfigureAwait(false);
        groups.Sort(static (a, b) => string.CompareOrdinal(a.GroupId, b.GroupId));
        bool execute = _options.Has("execute");
        var plans = new List<(string Group, List<TopicPartitionOffset> Offsets)>();
        foreach (ConsumerGroupDescription group in groups)
        {
            if (group.State is not (ConsumerGroupState.Empty or ConsumerGroupState.Dead) && group.Error.Code != ErrorCode.GroupIdNotFound)
            {
                PrintError($"Assignments can only be reset if the group '{group.GroupId}' is inactive, but the current state is {group.State}.");
                plans.Add((group.GroupId, []));
                continue;
            }

            List<TopicPartitionOffset> plan = await PlanResetAsync(admin, group.GroupId).ConfigureAwait(false);
            if (execute && plan.Count > 0)
            {
                try
                {
                    await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(group.GroupId, plan)],
                        new AlterConsumerGroupOffsetsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
                }
                catch (AlterConsumerGroupOffsetsException e)
                {
                    Error error = e.Results[0].Error;
                    if (!error.IsError)
                    {
                        foreach (TopicPartitionOffsetError partition in e.Results[0].Partitions)
                        {
                            if (partition.Error.IsError)
                            {
                                error = partition.Error;
                                break;
                            }
                        }
                    }

                    throw new KafkaException(error);
                }
            }

            plans.Add((group.GroupId, plan));
        }

        if (_options.Has("export"))
        {
            Console.Out.Write(ExportCsv(plans, _options.Values("group").Count == 1) + "\n");
        }
        else
        {
            PrintPlan(plans);
        }
    }

    private static void PrintPlan(List<(string Group, List<TopicPartitionOffset> Offsets)> plans)
    {
        if (plans.Count == 0)
        {
            return;
        }

        var output = new StringBuilder();
        static void Line(StringBuilder output, string group, string topic, string partition, string offset) =>
            output.Append(Column(group, 30)).Append(' ').Append(Column(topic, 30)).Append(' ')
                .Append(Column(partition, 10)).Append(' ').Append(Column(offset, 15)).Append('\n');

        output.Append('\n');
        Line(output, "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET");
        foreach ((string group, List<TopicPartitionOffset> offsets) in plans)
        {
            foreach (TopicPartitionOffset offset in offsets)
            {
                Line(output, group, offset.Topic, Number(offset.Partition.Value), Number(offset.Offset.Value));
            }
        }

        Console.Out.Write(output.ToString());
    }

    /// <summary>Kafka's CSV export: topic,partition,offset for one group, group,topic,partition,offset for several.</summary>
    private static string ExportCsv(List<(string Group, List<TopicPartitionOffset> Offsets)> plans, bool singleGroup)
    {
        var csv = new StringBuilder();
        foreach ((string group, List<TopicPartitionOffset> offsets) in plans)
        {
            foreach (TopicPartitionOffset offset in offsets)
            {
                if (!singleGroup)
                {
                    csv.Append(group).Append(',');
                }

                csv.Append(offset.Topic).Append(',').Append(Number(offset.Partition.Value)).Append(',').Append(Number(offset.Offset.Value)).Append('\n');
            }
        }

        return csv.ToString();
    }

    /// <summary>Kafka's prepareOffsetsToReset for one group: the scope, then the one scenario given.</summary>
    private async Task<List<TopicPartitionOffset>> PlanResetAsync(IAdminClient admin, string groupId)
    {
        Dictionary<TopicPartition, long>? fromFile = null;
        if (_options.Value("from-file") is string path)
        {
            fromFile = ReadPlanFile(path, groupId);
        }

        List<TopicPartition> partitions;
        if (_options.Has("all-topics"))
        {
            partitions = [.. (await CommittedOffsetsAsync(admin, groupId).ConfigureAwait(false)).Keys];
        }
        else if (_options.Has("topic"))
        {
            partitions = await ParseTopicPartitionsAsync(admin, _options.Values("topic")).ConfigureAwait(false);
        }
        else if (fromFile is not null)
        {
            partitions = [.. fromFile.Keys];
        }
        else
        {
            throw _parser.Die("One of the reset scopes should be defined: --all-topics, --topic.");
        }

        partitions.Sort(ComparePartitions);
        var target = new Dictionary<TopicPartition, long>();
        if (_options.Int64("to-offset") is long toOffset)
        {
            foreach (TopicPartition partition in partitions)
            {
                target[partition] = toOffset;
            }

            target = await ClampToLogAsync(admin, target).ConfigureAwait(false);
        }
        else if (_options.Has("to-earliest"))
        {
            target = await RequireOffsetsAsync(admin, partitions, OffsetSpec.Earliest(), "Error getting starting offset of topic partition: ").ConfigureAwait(false);
        }
        else if (_options.Has("to-latest"))
        {
            target = await RequireOffsetsAsync(admin, partitions, OffsetSpec.Latest(), "Error getting ending offset of topic partition: ").ConfigureAwait(false);
        }
        else if (_options.Int64("shift-by") is long shift)
        {
            Dictionary<TopicPartition, long> current = await CommittedOffsetsAsync(admin, groupId).ConfigureAwait(false);
            foreach (TopicPartition partition in partitions)
            {
                if (!current.TryGetValue(partition, out long offset))
                {
                    throw _parser.Die($"Cannot shift offset for partition {PartitionName(partition)} since there is no current committed offset");
                }

                target[partition] = offset + shift;
            }

            target = await ClampToLogAsync(admin, target).ConfigureAwait(false);
        }
        else if (_options.Value("to-datetime") is string datetime)
        {
            target = await OffsetsForTimeAsync(admin, partitions, ParseDateTime(datetime)).ConfigureAwait(false);
        }
        else if (_options.Value("by-duration") is string duration)
        {
            long since = TimeProvider.System.GetUtcNow().Subtract(ParseDuration(duration)).ToUnixTimeMilliseconds();
            target = await OffsetsForTimeAsync(admin, partitions, since).ConfigureAwait(false);
        }
        else if (fromFile is not null)
        {
            target = await ClampToLogAsync(admin, fromFile).ConfigureAwait(false);
        }
        else if (_options.Has("to-current"))
        {
            Dictionary<TopicPartition, long> current = await CommittedOffsetsAsync(admin, groupId).ConfigureAwait(false);
            var withoutCommit = new List<TopicPartition>();
            foreach (TopicPartition partition in partitions)
            {
                if (current.TryGetValue(partition, out long offset))
                {
                    target[partition] = offset;
                }
                else
                {
                    withoutCommit.Add(partition);
                }
            }

            foreach ((TopicPartition partition, long offset) in await RequireOffsetsAsync(admin, withoutCommit, OffsetSpec.Latest(),
                "Error getting ending offset of topic partition: ").ConfigureAwait(false))
            {
                target[partition] = offset;
            }
        }
        else
        {
            throw _parser.Die("Option [reset-offsets] requires one of the following scenarios: [to-offset], [shift-by], [to-datetime], [by-duration], [to-earliest], [to-latest], [to-current], [from-file]");
        }

        var plan = new List<TopicPartitionOffset>(target.Count);
        foreach (TopicPartition partition in partitions)
        {
            if (target.TryGetValue(partition, out long offset))
            {
                plan.Add(new TopicPartitionOffset(partition, new Offset(offset)));
            }
        }

        return plan;
    }

    /// <summary>
    /// --topic values: "t" means every partition of t, "t:0,2" those partitions. Every partition
    /// must exist (Kafka's checkAllTopicPartitionsValid), else the command fails naming them.
    /// </summary>
    private async Task<List<TopicPartition>> ParseTopicPartitionsAsync(IAdminClient admin, IReadOnlyList<string> topicArgs)
    {
        var whole = new List<string>();
        var listed = new List<TopicPartition>();
        foreach (string arg in topicArgs)
        {
            if (!arg.Contains(':', StringComparison.Ordinal))
            {
                whole.Add(arg);
                continue;
            }

            string[] parts = arg.Split(':');
            if (parts.Length != 2)
            {
                throw _parser.Die($"Invalid topic arg '{arg}', expected topic name and partitions");
            }

            foreach (string text in parts[1].Split(','))
            {
                if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int partition))
                {
                    throw _parser.Die($"Invalid partition '{text}' specified in topic arg '{arg}''");
                }

                listed.Add(new TopicPartition(parts[0], partition));
            }
        }

        Dictionary<string, int> partitionCounts = PartitionCounts(admin);
        var missing = new List<string>();
        foreach (TopicPartition partition in listed)
        {
            if (!partitionCounts.TryGetValue(partition.Topic, out int count) || partition.Partition.Value >= count)
            {
                missing.Add(PartitionName(partition));
            }
        }

        foreach (string topic in whole)
        {
            if (!partitionCounts.TryGetValue(topic, out int count))
            {
                throw new KafkaException(new Error(ErrorCode.UnknownTopicOrPart, $"This server does not host this topic-partition."));
            }

            for (int i = 0; i < count; i++)
            {
                listed.Add(new TopicPartition(topic, i));
            }
        }

        if (missing.Count > 0)
        {
            throw new KafkaException(new Error(ErrorCode.UnknownTopicOrPart, $"The partitions \"{string.Join(',', missing)}\" do not exist"));
        }

        return listed;
    }

    private async Task<List<TopicPartition>> PartitionsOfTopicsAsync(IAdminClient admin, IReadOnlyList<string> topicArgs) =>
        await ParseTopicPartitionsAsync(admin, topicArgs).ConfigureAwait(false);

    private static Dictionary<string, int> PartitionCounts(IAdminClient admin)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (TopicMetadata topic in admin.GetMetadata(KafkaClients.RequestTimeout).Topics)
        {
            if (!topic.Error.IsError)
            {
                counts[topic.Topic] = topic.Partitions.Count;
            }
        }

        return counts;
    }

    /// <summary>Offsets the plan cannot do without: a partition whose lookup failed stops the command, as in Kafka.</summary>
    private async Task<Dictionary<TopicPartition, long>> RequireOffsetsAsync(IAdminClient admin, List<TopicPartition> partitions, OffsetSpec spec, string failure)
    {
        Dictionary<TopicPartition, long> offsets = await ListOffsetsAsync(admin, partitions, spec).ConfigureAwait(false);
        foreach (TopicPartition partition in partitions)
        {
            if (!offsets.ContainsKey(partition))
            {
                throw _parser.Die(failure + PartitionName(partition));
            }
        }

        return offsets;
    }

    /// <summary>Kafka's checkOffsetsRange: a requested offset past either end of the log becomes that end, with a warning.</summary>
    private async Task<Dictionary<TopicPartition, long>> ClampToLogAsync(IAdminClient admin, Dictionary<TopicPartition, long> requested)
    {
        var partitions = new List<TopicPartition>(requested.Keys);
        Dictionary<TopicPartition, long> starts = await ListOffsetsAsync(admin, partitions, OffsetSpec.Earliest()).ConfigureAwait(false);
        Dictionary<TopicPartition, long> ends = await ListOffsetsAsync(admin, partitions, OffsetSpec.Latest()).ConfigureAwait(false);
        var clamped = new Dictionary<TopicPartition, long>(requested.Count);
        foreach ((TopicPartition partition, long offset) in requested)
        {
            long value = offset;
            if (ends.TryGetValue(partition, out long end) && offset > end)
            {
                ToolLog.Write("WARN", $"New offset ({Number(offset)}) is higher than latest offset for topic partition {PartitionName(partition)}. Value will be set to {Number(end)}", "kafka.admin.ConsumerGroupCommand$");
                value = end;
            }
            else if (starts.TryGetValue(partition, out long start) && offset < start)
            {
                ToolLog.Write("WARN", $"New offset ({Number(offset)}) is lower than earliest offset for topic partition {PartitionName(partition)}. Value will be set to {Number(start)}", "kafka.admin.ConsumerGroupCommand$");
                value = start;
            }

            clamped[partition] = value;
        }

        return clamped;
    }

    /// <summary>
    /// The first offset at or after <paramref name="timestamp"/>; a partition with no such record
    /// falls back to its log end, with Kafka's notice.
    /// </summary>
    private async Task<Dictionary<TopicPartition, long>> OffsetsForTimeAsync(IAdminClient admin, List<TopicPartition> partitions, long timestamp)
    {
        Dictionary<TopicPartition, long> found = await ListOffsetsAsync(admin, partitions, OffsetSpec.ForTimestamp(timestamp)).ConfigureAwait(false);
        var result = new Dictionary<TopicPartition, long>(partitions.Count);
        var fallback = new List<TopicPartition>();
        foreach (TopicPartition partition in partitions)
        {
            if (found.TryGetValue(partition, out long offset) && offset >= 0)
            {
                result[partition] = offset;
            }
            else
            {
                Console.Out.Write($"\nWarn: Partition {Number(partition.Partition.Value)} from topic {partition.Topic} is empty. Falling back to latest known offset.\n");
                fallback.Add(partition);
            }
        }

        foreach ((TopicPartition partition, long offset) in await RequireOffsetsAsync(admin, fallback, OffsetSpec.Latest(),
            "Error getting offset by timestamp of topic partition: ").ConfigureAwait(false))
        {
            result[partition] = offset;
        }

        return result;
    }

    /// <summary>
    /// Kafka's Utils.getDateTime: 'yyyy-MM-ddTHH:mm:ss[.SSS]' with an optional zone (Z, +hh:mm,
    /// +hhmm, +hh); without one the time is UTC, as Kafka 3.x appends "Z".
    /// </summary>
    internal static long ParseDateTime(string text)
    {
        int t = text.IndexOf('T', StringComparison.Ordinal);
        if (t < 0)
        {
            throw new UsageException($"Error parsing timestamp. It does not contain a 'T' according to ISO8601 format: {text}");
        }

        string time = text[(t + 1)..];
        string withZone = time.Contains('+', StringComparison.Ordinal) || time.Contains('-', StringComparison.Ordinal) || time.Contains('Z', StringComparison.Ordinal)
            ? text
            : text + "Z";
        string[] formats =
        [
            "yyyy-MM-dd'T'HH:mm:ss.FFFK", "yyyy-MM-dd'T'HH:mm:ssK",
            "yyyy-MM-dd'T'HH:mm:ss.FFFzzz", "yyyy-MM-dd'T'HH:mm:sszzz",
            "yyyy-MM-dd'T'HH:mm:ss.FFFzz", "yyyy-MM-dd'T'HH:mm:sszz",
        ];
        string normalized = NormalizeCompactOffset(withZone);
        return DateTimeOffset.TryParseExact(normalized, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset parsed)
            ? parsed.ToUnixTimeMilliseconds()
            : throw new UsageException($"Unparseable date: \"{text}\"");
    }

    /// <summary>+0900 → +09:00, which .NET's zone patterns read.</summary>
    private static string NormalizeCompactOffset(string text)
    {
        int sign = Math.Max(text.LastIndexOf('+'), text.LastIndexOf('-'));
        if (sign > text.IndexOf('T', StringComparison.Ordinal) && text.Length - sign == 5)
        {
            return text[..(sign + 3)] + ":" + text[(sign + 3)..];
        }

        return text;
    }

    /// <summary>ISO-8601 durations as --by-duration takes them ('PnDTnHnMnS').</summary>
    private TimeSpan ParseDuration(string text)
    {
        try
        {
            return XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            throw _parser.Die($"Text cannot be parsed to a Duration: {text}");
        }
    }

    /// <summary>--from-file: "topic,partition,offset" lines, or "group,topic,partition,offset" (rows of other groups skipped).</summary>
    private Dictionary<TopicPartition, long> ReadPlanFile(string path, string groupId)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path} (No such file or directory)");
        }

        var plan = new Dictionary<TopicPartition, long>();
        foreach (string line in lines)
        {
            string[] cells = line.Trim().Split(',');
            if (cells.Length is < 3 or > 4 || (cells.Length == 4 && cells[0] != groupId))
            {
                continue;
            }

            int first = cells.Length - 3;
            if (int.TryParse(cells[first + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int partition)
                && long.TryParse(cells[first + 2], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long offset))
            {
                plan[new TopicPartition(cells[first], partition)] = offset;
            }
        }

        if (plan.Count == 0)
        {
            PrintError($"No reset plan for group {groupId} found.");
        }

        return plan;
    }

    /// <summary>Java's TopicPartition.toString: "topic-partition".</summary>
    private static string PartitionName(TopicPartition partition) =>
        partition.Topic + "-" + partition.Partition.Value.ToString(CultureInfo.InvariantCulture);
}
