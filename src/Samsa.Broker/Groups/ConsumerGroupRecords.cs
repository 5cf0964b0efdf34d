using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>
/// The KIP-848 records of one consumer group as read from __consumer_offsets during a load: later
/// records win, tombstones delete. <see cref="Build"/> turns them into the group.
/// </summary>
internal sealed class ConsumerGroupRecords
{
    private readonly Dictionary<string, ConsumerGroupMemberMetadataValue> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ConsumerGroupCurrentMemberAssignmentValue> _current = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<TopicIdPartition>> _target = new(StringComparer.Ordinal);
    private int _targetEpoch;

    /// <summary>The group epoch; null when the group has no metadata record (never created, or deleted).</summary>
    public int? Epoch { get; private set; }

    /// <summary>Applies one record of type 3 to 8 (the key's version prefix); other types are ignored.</summary>
    public static void Apply(short type, byte[] key, byte[]? value, Dictionary<string, ConsumerGroupRecords> groups)
    {
        switch (type)
        {
            case ConsumerGroupRecordCodec.GroupMetadataType:
                {
                    ConsumerGroupMetadataKey k = GroupRecordCodec.Decode<ConsumerGroupMetadataKey>(key, type);
                    if (value is null)
                    {
                        groups.Remove(k.GroupId);
                        return;
                    }

                    For(groups, k.GroupId).Epoch = GroupRecordCodec.Decode<ConsumerGroupMetadataValue>(value, 0).Epoch;
                    return;
                }

            case ConsumerGroupRecordCodec.MemberMetadataType:
                {
                    ConsumerGroupMemberMetadataKey k = GroupRecordCodec.Decode<ConsumerGroupMemberMetadataKey>(key, type);
                    ConsumerGroupRecords group = For(groups, k.GroupId);
                    if (value is null)
                    {
                        group._members.Remove(k.MemberId);
                    }
                    else
                    {
                        group._members[k.MemberId] = GroupRecordCodec.Decode<ConsumerGroupMemberMetadataValue>(value, 0);
                    }

                    return;
                }

            case ConsumerGroupRecordCodec.TargetAssignmentMetadataType:
                {
                    ConsumerGroupTargetAssignmentMetadataKey k = GroupRecordCodec.Decode<ConsumerGroupTargetAssignmentMetadataKey>(key, type);
                    if (value is not null)
                    {
                        For(groups, k.GroupId)._targetEpoch = GroupRecordCodec.Decode<ConsumerGroupTargetAssignmentMetadataValue>(value, 0).AssignmentEpoch;
                    }

                    return;
                }

            case ConsumerGroupRecordCodec.TargetAssignmentMemberType:
                {
                    ConsumerGroupTargetAssignmentMemberKey k = GroupRecordCodec.Decode<ConsumerGroupTargetAssignmentMemberKey>(key, type);
                    ConsumerGroupRecords group = For(groups, k.GroupId);
                    if (value is null)
                    {
                        group._target.Remove(k.MemberId);
                    }
                    else
                    {
                        ConsumerGroupTargetAssignmentMemberValue v = GroupRecordCodec.Decode<ConsumerGroupTargetAssignmentMemberValue>(value, 0);
                        group._target[k.MemberId] = ConsumerGroupRecordCodec.ToSet(v.TopicPartitions, t => t.TopicId, t => t.Partitions);
                    }

                    return;
                }

            case ConsumerGroupRecordCodec.CurrentMemberAssignmentType:
                {
                    ConsumerGroupCurrentMemberAssignmentKey k = GroupRecordCodec.Decode<ConsumerGroupCurrentMemberAssignmentKey>(key, type);
                    ConsumerGroupRecords group = For(groups, k.GroupId);
                    if (value is null)
                    {
                        group._current.Remove(k.MemberId);
                    }
                    else
                    {
                        group._current[k.MemberId] = GroupRecordCodec.Decode<ConsumerGroupCurrentMemberAssignmentValue>(value, 0);
                    }

                    return;
                }

            default:
                return;
        }
    }

    private static ConsumerGroupRecords For(Dictionary<string, ConsumerGroupRecords> groups, string groupId)
    {
        if (!groups.TryGetValue(groupId, out ConsumerGroupRecords? group))
        {
            group = new ConsumerGroupRecords();
            groups[groupId] = group;
        }

        return group;
    }

    /// <summary>
    /// The group as stored. Every member gets a fresh session (as Kafka does on load), and members
    /// still revoking get a fresh rebalance timeout.
    /// </summary>
    public ConsumerGroup Build(int epoch, long nowMs, int sessionTimeoutMs)
    {
        var group = new ConsumerGroup { GroupEpoch = epoch, TargetAssignmentEpoch = _targetEpoch };
        foreach ((string memberId, ConsumerGroupMemberMetadataValue stored) in _members)
        {
            var member = new ConsumerGroupMember(memberId)
            {
                InstanceId = stored.InstanceId,
                RackId = stored.RackId,
                ClientId = stored.ClientId,
                ClientHost = stored.ClientHost,
                SubscribedTopicNames = [.. stored.SubscribedTopicNames],
                SubscribedTopicRegex = stored.SubscribedTopicRegex,
                RebalanceTimeoutMs = stored.RebalanceTimeoutMs,
                ServerAssignor = stored.ServerAssignor,
                SessionDeadlineMs = nowMs + sessionTimeoutMs,
            };
            if (_current.TryGetValue(memberId, out ConsumerGroupCurrentMemberAssignmentValue? current))
            {
                member.MemberEpoch = current.MemberEpoch;
                member.PreviousMemberEpoch = current.PreviousMemberEpoch;
                member.State = Enum.IsDefined((MemberReconciliationState)current.State) ? (MemberReconciliationState)current.State : MemberReconciliationState.UnrevokedPartitions;
                member.AssignedPartitions = ConsumerGroupRecordCodec.ToSet(current.AssignedPartitions, t => t.TopicId, t => t.Partitions);
                member.PartitionsPendingRevocation = ConsumerGroupRecordCodec.ToSet(current.PartitionsPendingRevocation, t => t.TopicId, t => t.Partitions);
                if (member.State == MemberReconciliationState.UnrevokedPartitions)
                {
                    member.RevocationDeadlineMs = nowMs + Math.Max(member.RebalanceTimeoutMs, 0);
                }
            }

            group.Add(member);
        }

        foreach ((string memberId, HashSet<TopicIdPartition> partitions) in _target)
        {
            if (group.Get(memberId) is not null)
            {
                group.TargetAssignment[memberId] = partitions;
            }
        }

        return group;
    }
}
