using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>
/// The bytes of the KIP-848 consumer group records in __consumer_offsets, as Kafka 4.0 writes
/// them: the key's int16 prefix is the record type (3 group metadata, 5 member metadata, 6 target
/// assignment metadata, 7 target assignment member, 8 current member assignment) and every value
/// is version 0. Kafka's type 4 (subscribed topic metadata) is not written: Samsa takes partition
/// counts from its metadata cache when the group is loaded.
/// </summary>
internal static class ConsumerGroupRecordCodec
{
    public const short GroupMetadataType = 3;
    public const short PartitionMetadataType = 4;
    public const short MemberMetadataType = 5;
    public const short TargetAssignmentMetadataType = 6;
    public const short TargetAssignmentMemberType = 7;
    public const short CurrentMemberAssignmentType = 8;
    private const short ValueVersion = 0;

    public static byte[] GroupKey(string groupId) =>
        GroupRecordCodec.Encode(new ConsumerGroupMetadataKey { GroupId = groupId }, GroupMetadataType);

    public static byte[] GroupValue(ConsumerGroup group) =>
        GroupRecordCodec.Encode(new ConsumerGroupMetadataValue { Epoch = group.GroupEpoch }, ValueVersion);

    public static byte[] MemberKey(string groupId, string memberId) =>
        GroupRecordCodec.Encode(new ConsumerGroupMemberMetadataKey { GroupId = groupId, MemberId = memberId }, MemberMetadataType);

    public static byte[] MemberValue(ConsumerGroupMember member) =>
        GroupRecordCodec.Encode(
            new ConsumerGroupMemberMetadataValue
            {
                InstanceId = member.InstanceId,
                RackId = member.RackId,
                ClientId = member.ClientId,
                ClientHost = member.ClientHost,
                SubscribedTopicNames = [.. member.SubscribedTopicNames],
                SubscribedTopicRegex = member.SubscribedTopicRegex,
                RebalanceTimeoutMs = member.RebalanceTimeoutMs,
                ServerAssignor = member.ServerAssignor,
            },
            ValueVersion);

    public static byte[] TargetMetadataKey(string groupId) =>
        GroupRecordCodec.Encode(new ConsumerGroupTargetAssignmentMetadataKey { GroupId = groupId }, TargetAssignmentMetadataType);

    public static byte[] TargetMetadataValue(int assignmentEpoch) =>
        GroupRecordCodec.Encode(new ConsumerGroupTargetAssignmentMetadataValue { AssignmentEpoch = assignmentEpoch }, ValueVersion);

    public static byte[] TargetMemberKey(string groupId, string memberId) =>
        GroupRecordCodec.Encode(new ConsumerGroupTargetAssignmentMemberKey { GroupId = groupId, MemberId = memberId }, TargetAssignmentMemberType);

    public static byte[] TargetMemberValue(HashSet<TopicIdPartition> partitions)
    {
        var value = new ConsumerGroupTargetAssignmentMemberValue();
        foreach ((Protocol.Primitives.Uuid topicId, List<int> indexes) in ByTopic(partitions))
        {
            value.TopicPartitions.Add(new ConsumerGroupTargetAssignmentMemberValue.TopicPartition { TopicId = topicId, Partitions = indexes });
        }

        return GroupRecordCodec.Encode(value, ValueVersion);
    }

    public static byte[] CurrentAssignmentKey(string groupId, string memberId) =>
        GroupRecordCodec.Encode(new ConsumerGroupCurrentMemberAssignmentKey { GroupId = groupId, MemberId = memberId }, CurrentMemberAssignmentType);

    public static byte[] CurrentAssignmentValue(ConsumerGroupMember member)
    {
        var value = new ConsumerGroupCurrentMemberAssignmentValue
        {
            MemberEpoch = member.MemberEpoch,
            PreviousMemberEpoch = member.PreviousMemberEpoch,
            State = (sbyte)member.State,
        };
        foreach ((Protocol.Primitives.Uuid topicId, List<int> indexes) in ByTopic(member.AssignedPartitions))
        {
            value.AssignedPartitions.Add(new ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions { TopicId = topicId, Partitions = indexes });
        }

        foreach ((Protocol.Primitives.Uuid topicId, List<int> indexes) in ByTopic(member.PartitionsPendingRevocation))
        {
            value.PartitionsPendingRevocation.Add(new ConsumerGroupCurrentMemberAssignmentValue.TopicPartitions { TopicId = topicId, Partitions = indexes });
        }

        return GroupRecordCodec.Encode(value, ValueVersion);
    }

    /// <summary>Partitions grouped by topic id, indexes ascending (the order Kafka's records and responses use).</summary>
    public static List<(Protocol.Primitives.Uuid TopicId, List<int> Partitions)> ByTopic(IEnumerable<TopicIdPartition> partitions)
    {
        var byTopic = new Dictionary<Protocol.Primitives.Uuid, List<int>>();
        var order = new List<Protocol.Primitives.Uuid>();
        foreach (TopicIdPartition partition in partitions)
        {
            if (!byTopic.TryGetValue(partition.TopicId, out List<int>? indexes))
            {
                indexes = [];
                byTopic.Add(partition.TopicId, indexes);
                order.Add(partition.TopicId);
            }

            indexes.Add(partition.Partition);
        }

        var result = new List<(Protocol.Primitives.Uuid, List<int>)>(order.Count);
        foreach (Protocol.Primitives.Uuid topicId in order)
        {
            List<int> indexes = byTopic[topicId];
            indexes.Sort();
            result.Add((topicId, indexes));
        }

        return result;
    }

    /// <summary>The partitions of a record's or request's per-topic lists.</summary>
    public static HashSet<TopicIdPartition> ToSet<T>(List<T> topics, Func<T, Protocol.Primitives.Uuid> topicId, Func<T, List<int>> partitions)
    {
        var set = new HashSet<TopicIdPartition>();
        foreach (T topic in topics)
        {
            Protocol.Primitives.Uuid id = topicId(topic);
            foreach (int partition in partitions(topic))
            {
                set.Add(new TopicIdPartition(id, partition));
            }
        }

        return set;
    }
}
