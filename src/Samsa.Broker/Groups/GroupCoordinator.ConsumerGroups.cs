using Samsa.Broker.Metadata;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>
/// Consumer-protocol groups next to the classic APIs: ConsumerGroupDescribe, the member epoch
/// checks of OffsetCommit v9+ and OffsetFetch v9+, and the records that delete such a group.
/// </summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>ConsumerGroupDescribe for one group: GROUP_ID_NOT_FOUND when it does not exist or is a classic group.</summary>
    public ConsumerGroupDescribeResponseData.DescribedGroup DescribeConsumerGroup(string groupId)
    {
        var described = new ConsumerGroupDescribeResponseData.DescribedGroup { GroupId = groupId };
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(groupId, allowEmpty: false, out _);
            if (error != ErrorCode.None)
            {
                described.ErrorCode = (short)error;
                return described;
            }

            ClassicGroup? entry = GetGroup(groupId);
            if (entry?.ConsumerProtocol is not ConsumerGroup group)
            {
                described.ErrorCode = (short)ErrorCode.GroupIdNotFound;
                described.ErrorMessage = entry is null ? $"Group {groupId} not found." : $"Group {groupId} is not a consumer group.";
                return described;
            }

            MetadataCache.Snapshot snapshot = _metadata.Current;
            described.GroupState = group.State;
            described.GroupEpoch = group.GroupEpoch;
            described.AssignmentEpoch = group.TargetAssignmentEpoch;
            described.AssignorName = AssignorNameOf(group);
            foreach (ConsumerGroupMember member in group.Members.Values)
            {
                described.Members.Add(new ConsumerGroupDescribeResponseData.Member
                {
                    MemberId = member.MemberId,
                    InstanceId = member.InstanceId,
                    RackId = member.RackId,
                    MemberEpoch = member.MemberEpoch,
                    ClientId = member.ClientId,
                    ClientHost = member.ClientHost,
                    SubscribedTopicNames = [.. member.SubscribedTopicNames],
                    SubscribedTopicRegex = member.SubscribedTopicRegex,
                    Assignment = DescribeAssignment(member.AssignedPartitions, snapshot),
                    TargetAssignment = DescribeAssignment(group.TargetAssignment.GetValueOrDefault(member.MemberId) ?? [], snapshot),
                    // KIP-1099: 1 = consumer protocol (0 would be a classic member of a consumer group).
                    MemberType = 1,
                });
            }
        }

        return described;
    }

    private static ConsumerGroupDescribeResponseData.Assignment DescribeAssignment(HashSet<TopicIdPartition> partitions, MetadataCache.Snapshot snapshot)
    {
        var assignment = new ConsumerGroupDescribeResponseData.Assignment();
        foreach ((Protocol.Primitives.Uuid topicId, List<int> indexes) in ConsumerGroupRecordCodec.ByTopic(partitions))
        {
            // A deleted topic has no name any more: Kafka leaves it out.
            if (snapshot.Topic(topicId) is TopicState topic)
            {
                assignment.TopicPartitions.Add(new ConsumerGroupDescribeResponseData.TopicPartitions { TopicId = topicId, TopicName = topic.Name, Partitions = indexes });
            }
        }

        return assignment;
    }

    /// <summary>
    /// OffsetCommit against a consumer-protocol group: a commit without a member (epoch -1) only
    /// while the group has no members; a member must use OffsetCommit v9+ and its current epoch.
    /// </summary>
    private static ErrorCode ValidateConsumerCommit(ConsumerGroup group, int memberEpoch, string memberId, short apiVersion)
    {
        if (memberEpoch < 0 && group.Members.Count == 0)
        {
            return ErrorCode.None;
        }

        ConsumerGroupMember? member = group.Get(memberId);
        if (member is null)
        {
            return ErrorCode.UnknownMemberId;
        }

        if (apiVersion < 9)
        {
            return ErrorCode.UnsupportedVersion;
        }

        return memberEpoch == member.MemberEpoch ? ErrorCode.None : ErrorCode.StaleMemberEpoch;
    }

    /// <summary>OffsetFetch v9+ from a member of a consumer-protocol group: it must be a member at its current epoch. Admin fetches (no member, epoch -1) pass.</summary>
    private static ErrorCode ValidateConsumerFetch(ConsumerGroup group, string? memberId, int memberEpoch)
    {
        if (memberId is null && memberEpoch < 0)
        {
            return ErrorCode.None;
        }

        ConsumerGroupMember? member = memberId is null ? null : group.Get(memberId);
        if (member is null)
        {
            return ErrorCode.UnknownMemberId;
        }

        return memberEpoch == member.MemberEpoch ? ErrorCode.None : ErrorCode.StaleMemberEpoch;
    }

    /// <summary>The topics the members of a consumer group subscribe to by name (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC).</summary>
    private HashSet<string> SubscribedTopics(ConsumerGroup group)
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        MetadataCache.Snapshot snapshot = _metadata.Current;
        foreach (ConsumerGroupMember member in group.Members.Values)
        {
            topics.UnionWith(member.SubscribedTopicNames);
            topics.UnionWith(ResolvedTopics(member, snapshot));
        }

        return topics;
    }

    /// <summary>The tombstones that delete a group without members: its classic metadata, or its consumer group records.</summary>
    private static void AddGroupTombstones(ClassicGroup group, List<(byte[] Key, byte[]? Value)> records)
    {
        if (group.ConsumerProtocol is null)
        {
            records.Add((GroupRecordCodec.GroupKey(group.GroupId), null));
            return;
        }

        records.Add((ConsumerGroupRecordCodec.TargetMetadataKey(group.GroupId), null));
        records.Add((ConsumerGroupRecordCodec.GroupKey(group.GroupId), null));
    }
}
