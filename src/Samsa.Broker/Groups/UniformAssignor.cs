namespace Samsa.Broker.Groups;

/// <summary>
/// The "uniform" assignor (Kafka's default): spreads every subscribed partition over the members
/// subscribed to its topic so member partition counts differ by at most one where subscriptions
/// allow, keeping partitions with their previous owner when that does not unbalance the group
/// (fewer partitions move, so fewer are revoked).
/// </summary>
internal sealed class UniformAssignor : ConsumerGroupAssignor
{
    public override string Name => UniformName;

    public override Dictionary<string, HashSet<TopicIdPartition>> Assign(
        IReadOnlyList<AssignmentMember> members,
        IReadOnlyList<AssignmentTopic> topics,
        IReadOnlyDictionary<string, HashSet<TopicIdPartition>> current)
    {
        var result = new Dictionary<string, HashSet<TopicIdPartition>>(StringComparer.Ordinal);
        var topicNames = new Dictionary<Protocol.Primitives.Uuid, AssignmentTopic>();
        foreach (AssignmentTopic topic in topics)
        {
            topicNames[topic.TopicId] = topic;
        }

        foreach (AssignmentMember member in members)
        {
            result[member.MemberId] = [];
        }

        // 1. Stickiness: each previous owner keeps what it may still consume.
        var taken = new HashSet<TopicIdPartition>();
        foreach (AssignmentMember member in members)
        {
            if (!current.TryGetValue(member.MemberId, out HashSet<TopicIdPartition>? previous))
            {
                continue;
            }

            foreach (TopicIdPartition partition in previous)
            {
                if (topicNames.TryGetValue(partition.TopicId, out AssignmentTopic? topic)
                    && partition.Partition < topic.PartitionCount
                    && member.Topics.Contains(topic.Name)
                    && taken.Add(partition))
                {
                    result[member.MemberId].Add(partition);
                }
            }
        }

        // 2. Every free partition goes to the least loaded member subscribed to its topic.
        foreach (AssignmentTopic topic in topics)
        {
            for (int p = 0; p < topic.PartitionCount; p++)
            {
                var partition = new TopicIdPartition(topic.TopicId, p);
                if (!taken.Contains(partition) && LeastLoaded(members, result, topic.Name) is string owner)
                {
                    result[owner].Add(partition);
                }
            }
        }

        // 3. Balance: move partitions from a member to an eligible one with at least two fewer.
        // Each move lowers the sum of squared counts, so this ends.
        bool moved = true;
        while (moved)
        {
            moved = false;
            foreach (AssignmentMember member in members)
            {
                HashSet<TopicIdPartition> owned = result[member.MemberId];
                foreach (TopicIdPartition partition in new List<TopicIdPartition>(owned))
                {
                    string? target = LeastLoaded(members, result, topicNames[partition.TopicId].Name);
                    if (target is not null && result[target].Count < owned.Count - 1)
                    {
                        owned.Remove(partition);
                        result[target].Add(partition);
                        moved = true;
                    }
                }
            }
        }

        return result;
    }

    private static string? LeastLoaded(IReadOnlyList<AssignmentMember> members, Dictionary<string, HashSet<TopicIdPartition>> result, string topic)
    {
        string? best = null;
        int bestCount = int.MaxValue;
        foreach (AssignmentMember member in members)
        {
            int count = result[member.MemberId].Count;
            if (member.Topics.Contains(topic) && count < bestCount)
            {
                best = member.MemberId;
                bestCount = count;
            }
        }

        return best;
    }
}
