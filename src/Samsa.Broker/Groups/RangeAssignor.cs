namespace Samsa.Broker.Groups;

/// <summary>
/// The "range" assignor: per topic, the members subscribed to it (by member id) each get one
/// contiguous range of its partitions, the first (partitions % members) members one more.
/// Members with the same subscriptions get the same partition numbers of every topic
/// (co-partitioning), as with the classic range assignor.
/// </summary>
internal sealed class RangeAssignor : ConsumerGroupAssignor
{
    public override string Name => RangeName;

    public override Dictionary<string, HashSet<TopicIdPartition>> Assign(
        IReadOnlyList<AssignmentMember> members,
        IReadOnlyList<AssignmentTopic> topics,
        IReadOnlyDictionary<string, HashSet<TopicIdPartition>> current)
    {
        var result = new Dictionary<string, HashSet<TopicIdPartition>>(StringComparer.Ordinal);
        foreach (AssignmentMember member in members)
        {
            result[member.MemberId] = [];
        }

        var subscribers = new List<string>();
        foreach (AssignmentTopic topic in topics)
        {
            subscribers.Clear();
            foreach (AssignmentMember member in members)
            {
                if (member.Topics.Contains(topic.Name))
                {
                    subscribers.Add(member.MemberId);
                }
            }

            if (subscribers.Count == 0)
            {
                continue;
            }

            int quota = topic.PartitionCount / subscribers.Count;
            int extra = topic.PartitionCount % subscribers.Count;
            int next = 0;
            for (int i = 0; i < subscribers.Count; i++)
            {
                int count = quota + (i < extra ? 1 : 0);
                for (int p = next; p < next + count; p++)
                {
                    result[subscribers[i]].Add(new TopicIdPartition(topic.TopicId, p));
                }

                next += count;
            }
        }

        return result;
    }
}
