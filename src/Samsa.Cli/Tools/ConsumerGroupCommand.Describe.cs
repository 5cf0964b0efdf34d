using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Samsa.Cli.Tools;

/// <summary>
/// --describe: the offsets view (default, --offsets), --members and --state, each group in Kafka
/// 3.x's layout (ConsumerGroupCommand.printOffsets / printMembers / printStates): a blank line,
/// the header, one row per partition or member, columns padded as Java's "%-Ns" pads them.
/// </summary>
internal sealed partial class ConsumerGroupCommand
{
    private async Task DescribeAsync(IAdminClient admin)
    {
        List<string> groupIds = await GroupIdsAsync(admin).ConfigureAwait(false);
        List<ConsumerGroupDescription> groups = await DescribeGroupsAsync(admin, groupIds).ConfigureAwait(false);
        groups.Sort(static (a, b) => string.CompareOrdinal(a.GroupId, b.GroupId)); // Kafka keeps them in a TreeMap
        foreach (ConsumerGroupDescription group in groups)
        {
            if (_options.Has("members"))
            {
                PrintMembers(group);
            }
            else if (_options.Has("state"))
            {
                PrintState(group);
            }
            else
            {
                await PrintOffsetsAsync(admin, group).ConfigureAwait(false);
            }
        }
    }

    private async Task<List<ConsumerGroupDescription>> DescribeGroupsAsync(IAdminClient admin, List<string> groupIds)
    {
        if (groupIds.Count == 0)
        {
            return [];
        }

        try
        {
            DescribeConsumerGroupsResult result = await admin.DescribeConsumerGroupsAsync(groupIds,
                new DescribeConsumerGroupsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
            return result.ConsumerGroupDescriptions;
        }
        catch (DescribeConsumerGroupsException e)
        {
            // A group the coordinator does not know comes back Dead (or GROUP_ID_NOT_FOUND from newer
            // brokers): that is "does not exist", not a failed command. Any other error fails it.
            var described = new List<ConsumerGroupDescription>();
            foreach (ConsumerGroupDescription group in e.Results.ConsumerGroupDescriptions)
            {
                if (group.Error.IsError && group.Error.Code != ErrorCode.GroupIdNotFound)
                {
                    throw new KafkaException(group.Error);
                }

                described.Add(group);
            }

            return described;
        }
    }

    /// <summary>
    /// Kafka's shouldPrintMemberState: "does not exist" for a dead group, a notice on stderr for an
    /// empty or rebalancing one, and whether there are rows to print.
    /// </summary>
    private bool ShouldPrint(ConsumerGroupDescription group, int rows)
    {
        if (group.Error.Code == ErrorCode.GroupIdNotFound || group.State == ConsumerGroupState.Dead)
        {
            PrintError($"Consumer group '{group.GroupId}' does not exist.");
            return false;
        }

        switch (group.State)
        {
            case ConsumerGroupState.Empty:
                Console.Error.Write($"\nConsumer group '{group.GroupId}' has no active members.\n");
                break;
            case ConsumerGroupState.PreparingRebalance or ConsumerGroupState.CompletingRebalance:
                Console.Error.Write($"\nWarning: Consumer group '{group.GroupId}' is rebalancing.\n");
                break;
            default:
                break;
        }

        return rows > 0;
    }

    private async Task PrintOffsetsAsync(IAdminClient admin, ConsumerGroupDescription group)
    {
        List<OffsetRow> rows = group.State == ConsumerGroupState.Dead ? [] : await CollectOffsetRowsAsync(admin, group).ConfigureAwait(false);
        if (!ShouldPrint(group, rows.Count))
        {
            return;
        }

        int groupWidth = Math.Max(15, group.GroupId.Length);
        int topicWidth = 15;
        int consumerWidth = 15;
        int hostWidth = 15;
        foreach (OffsetRow row in rows)
        {
            topicWidth = Math.Max(topicWidth, row.Partition.Topic.Length);
            consumerWidth = Math.Max(consumerWidth, row.ConsumerId.Length);
            hostWidth = Math.Max(hostWidth, row.Host.Length);
        }

        var output = new StringBuilder();
        void Line(string g, string topic, string partition, string current, string end, string lag, string consumer, string host, string client) =>
            output.Append('\n').Append(Column(g, groupWidth)).Append(' ').Append(Column(topic, topicWidth)).Append(' ')
                .Append(Column(partition, 10)).Append(' ').Append(Column(current, 15)).Append(' ').Append(Column(end, 15)).Append(' ')
                .Append(Column(lag, 15)).Append(' ').Append(Column(consumer, consumerWidth)).Append(' ').Append(Column(host, hostWidth)).Append(' ')
                .Append(client);

        Line("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID");
        foreach (OffsetRow row in rows)
        {
            Line(group.GroupId, row.Partition.Topic, Number(row.Partition.Partition.Value), Number(row.Committed), Number(row.LogEnd),
                row.Committed is long committed && row.LogEnd is long end ? Number(end - committed) : Missing,
                row.ConsumerId, row.Host, row.ClientId);
        }

        Console.Out.Write(output.Append('\n').ToString());
    }

    /// <summary>
    /// Kafka's collectGroupOffsets: the partitions each member owns (members with the most
    /// partitions first), then the committed partitions nobody owns, with "-" for the member.
    /// </summary>
    private async Task<List<OffsetRow>> CollectOffsetRowsAsync(IAdminClient admin, ConsumerGroupDescription group)
    {
        Dictionary<TopicPartition, long> committed = await CommittedOffsetsAsync(admin, group.GroupId).ConfigureAwait(false);
        var members = new List<MemberDescription>();
        foreach (MemberDescription member in group.Members)
        {
            if (member.Assignment?.TopicPartitions is { Count: > 0 })
            {
                members.Add(member);
            }
        }

        members.Sort(static (a, b) => b.Assignment.TopicPartitions.Count.CompareTo(a.Assignment.TopicPartitions.Count));
        var owned = new HashSet<TopicPartition>();
        var wanted = new List<TopicPartition>();
        foreach (MemberDescription member in members)
        {
            foreach (TopicPartition partition in member.Assignment.TopicPartitions)
            {
                owned.Add(partition);
                wanted.Add(partition);
            }
        }

        var unowned = new List<TopicPartition>();
        foreach (TopicPartition partition in committed.Keys)
        {
            if (!owned.Contains(partition))
            {
                unowned.Add(partition);
                wanted.Add(partition);
            }
        }

        Dictionary<TopicPartition, long> logEnd = await ListOffsetsAsync(admin, wanted, OffsetSpec.Latest()).ConfigureAwait(false);
        var rows = new List<OffsetRow>();
        foreach (MemberDescription member in members)
        {
            var partitions = new List<TopicPartition>(member.Assignment.TopicPartitions);
            partitions.Sort(ComparePartitions);
            foreach (TopicPartition partition in partitions)
            {
                rows.Add(new OffsetRow(partition, Lookup(committed, partition), Lookup(logEnd, partition), member.ConsumerId, member.Host, member.ClientId));
            }
        }

        unowned.Sort(ComparePartitions);
        foreach (TopicPartition partition in unowned)
        {
            rows.Add(new OffsetRow(partition, Lookup(committed, partition), Lookup(logEnd, partition), Missing, Missing, Missing));
        }

        return rows;
    }

    private void PrintMembers(ConsumerGroupDescription group)
    {
        if (!ShouldPrint(group, group.Members.Count))
        {
            return;
        }

        bool verbose = _options.Has("verbose");
        int groupWidth = Math.Max(15, group.GroupId.Length);
        int consumerWidth = 15;
        int instanceWidth = 17;
        int hostWidth = 15;
        int clientWidth = 15;
        bool withInstanceId = false;
        foreach (MemberDescription member in group.Members)
        {
            consumerWidth = Math.Max(consumerWidth, member.ConsumerId.Length);
            instanceWidth = Math.Max(instanceWidth, member.GroupInstanceId?.Length ?? 0);
            hostWidth = Math.Max(hostWidth, member.Host.Length);
            clientWidth = Math.Max(clientWidth, member.ClientId.Length);
            withInstanceId |= !string.IsNullOrEmpty(member.GroupInstanceId);
        }

        var output = new StringBuilder();
        void Cells(string g, string consumer, string instance, string host, string client, string partitions)
        {
            output.Append(Column(g, groupWidth)).Append(' ').Append(Column(consumer, consumerWidth)).Append(' ');
            if (withInstanceId)
            {
                output.Append(Column(instance, instanceWidth)).Append(' ');
            }

            output.Append(Column(host, hostWidth)).Append(' ').Append(Column(client, clientWidth)).Append(' ').Append(Column(partitions, 15)).Append(' ');
        }

        output.Append('\n');
        Cells("GROUP", "CONSUMER-ID", "GROUP-INSTANCE-ID", "HOST", "CLIENT-ID", "#PARTITIONS");
        if (verbose)
        {
            output.Append("ASSIGNMENT");
        }

        output.Append('\n');
        foreach (MemberDescription member in group.Members)
        {
            List<TopicPartition> assignment = member.Assignment?.TopicPartitions ?? [];
            Cells(group.GroupId, member.ConsumerId, member.GroupInstanceId ?? "", member.Host, member.ClientId, Number(assignment.Count));
            if (verbose)
            {
                output.Append(AssignmentText(assignment));
            }

            output.Append('\n');
        }

        Console.Out.Write(output.ToString());
    }

    /// <summary>"t1(0,1), t2(0)" as Kafka 3.x's --members --verbose prints an assignment; "-" for none.</summary>
    private static string AssignmentText(List<TopicPartition> assignment)
    {
        if (assignment.Count == 0)
        {
            return Missing;
        }

        var byTopic = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (TopicPartition partition in assignment)
        {
            if (!byTopic.TryGetValue(partition.Topic, out List<int>? partitions))
            {
                partitions = [];
                byTopic.Add(partition.Topic, partitions);
            }

            partitions.Add(partition.Partition.Value);
        }

        var parts = new List<string>(byTopic.Count);
        foreach ((string topic, List<int> partitions) in byTopic)
        {
            partitions.Sort();
            parts.Add(topic + "(" + string.Join(',', partitions) + ")");
        }

        return string.Join(", ", parts);
    }

    private void PrintState(ConsumerGroupDescription group)
    {
        if (!ShouldPrint(group, 1))
        {
            return;
        }

        string coordinator = group.Coordinator is { } node
            ? $"{node.Host}:{Number(node.Port)} ({Number(node.Id)})"
            : Missing;
        int width = Math.Max(25, coordinator.Length);
        string strategy = string.IsNullOrEmpty(group.PartitionAssignor) ? "" : group.PartitionAssignor;
        var output = new StringBuilder();
        void Line(string g, string c, string s, string state, string members) =>
            output.Append('\n').Append(Column(g, width)).Append(' ').Append(Column(c, 25)).Append(' ')
                .Append(Column(s, 20)).Append(' ').Append(Column(state, 15)).Append(' ').Append(members);

        Line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS");
        Line(group.GroupId, coordinator, strategy, group.State.ToString(), Number(group.Members.Count));
        Console.Out.Write(output.Append('\n').ToString());
    }

    /// <summary>The group's committed offsets; a partition without one is left out.</summary>
    private async Task<Dictionary<TopicPartition, long>> CommittedOffsetsAsync(IAdminClient admin, string groupId)
    {
        List<TopicPartitionOffsetError> partitions;
        try
        {
            List<ListConsumerGroupOffsetsResult> results = await admin.ListConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitions(groupId, null)],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
            partitions = results[0].Partitions;
        }
        catch (ListConsumerGroupOffsetsException e)
        {
            if (e.Results[0].Error.IsError)
            {
                throw new KafkaException(e.Results[0].Error);
            }

            partitions = e.Results[0].Partitions;
        }

        var committed = new Dictionary<TopicPartition, long>();
        foreach (TopicPartitionOffsetError partition in partitions)
        {
            if (!partition.Error.IsError && partition.Offset.Value >= 0)
            {
                committed[partition.TopicPartition] = partition.Offset.Value;
            }
        }

        return committed;
    }

    /// <summary>
    /// ListOffsets for each partition; a partition whose lookup failed (no leader, unknown) is left
    /// out, which the views print as "-" as Kafka's LogOffsetResult.Unknown does.
    /// </summary>
    private async Task<Dictionary<TopicPartition, long>> ListOffsetsAsync(IAdminClient admin, List<TopicPartition> partitions, OffsetSpec spec)
    {
        var offsets = new Dictionary<TopicPartition, long>();
        if (partitions.Count == 0)
        {
            return offsets;
        }

        var request = new List<TopicPartitionOffsetSpec>(partitions.Count);
        foreach (TopicPartition partition in partitions)
        {
            request.Add(new TopicPartitionOffsetSpec { TopicPartition = partition, OffsetSpec = spec });
        }

        List<ListOffsetsResultInfo> infos;
        try
        {
            ListOffsetsResult result = await admin.ListOffsetsAsync(request, new ListOffsetsOptions { RequestTimeout = _timeout }).ConfigureAwait(false);
            infos = result.ResultInfos;
        }
        catch (ListOffsetsException e)
        {
            infos = e.Result.ResultInfos;
        }

        foreach (ListOffsetsResultInfo info in infos)
        {
            TopicPartitionOffsetError entry = info.TopicPartitionOffsetError;
            if (!entry.Error.IsError)
            {
                offsets[entry.TopicPartition] = entry.Offset.Value;
            }
        }

        return offsets;
    }

    private static long? Lookup(Dictionary<TopicPartition, long> offsets, TopicPartition partition) =>
        offsets.TryGetValue(partition, out long offset) ? offset : null;

    private static string Number(long? value) => value is long n ? n.ToString(CultureInfo.InvariantCulture) : Missing;

    /// <summary>One row of the offsets view.</summary>
    private sealed record OffsetRow(TopicPartition Partition, long? Committed, long? LogEnd, string ConsumerId, string Host, string ClientId);
}
