namespace Samsa.Broker.Groups;

/// <summary>
/// The consumer-protocol (KIP-848) state of a group: the group epoch (bumped whenever members or
/// subscriptions change), the target assignment and its epoch, the members, and which member epoch
/// owns each partition now (a partition moves to a new owner only once the old one released it).
/// Hangs off the group's <see cref="ClassicGroup"/> entry, which keeps the committed offsets; a
/// group with this state has no classic members. Mutated only by the coordinator under its lock.
/// </summary>
internal sealed class ConsumerGroup
{
    private readonly Dictionary<string, ConsumerGroupMember> _members = new(StringComparer.Ordinal);
    private readonly Dictionary<TopicIdPartition, int> _partitionEpochs = [];

    public int GroupEpoch { get; set; }

    public int TargetAssignmentEpoch { get; set; }

    /// <summary>Each member's share of the target assignment (members without partitions may be absent).</summary>
    public Dictionary<string, HashSet<TopicIdPartition>> TargetAssignment { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Partition counts of the subscribed topics the last target assignment was computed from; a
    /// change (partitions added, topic created or deleted) bumps the group epoch. Null until first
    /// computed (not stored: after a load it is taken from the metadata without a bump).
    /// </summary>
    public Dictionary<string, int>? SubscribedTopicPartitionCounts { get; set; }

    /// <summary>The metadata snapshot <see cref="SubscribedTopicPartitionCounts"/> was last checked against.</summary>
    public object? CheckedMetadata { get; set; }

    public IReadOnlyDictionary<string, ConsumerGroupMember> Members => _members;

    /// <summary>Kafka's consumer group states: Empty, Assigning (target behind the group epoch), Reconciling, Stable.</summary>
    public string State
    {
        get
        {
            if (_members.Count == 0)
            {
                return "Empty";
            }

            if (GroupEpoch != TargetAssignmentEpoch)
            {
                return "Assigning";
            }

            foreach (ConsumerGroupMember member in _members.Values)
            {
                if (member.MemberEpoch != TargetAssignmentEpoch || member.State != MemberReconciliationState.Stable)
                {
                    return "Reconciling";
                }
            }

            return "Stable";
        }
    }

    public ConsumerGroupMember? Get(string memberId) => _members.GetValueOrDefault(memberId);

    public ConsumerGroupMember? GetByInstanceId(string instanceId)
    {
        foreach (ConsumerGroupMember member in _members.Values)
        {
            if (member.InstanceId == instanceId)
            {
                return member;
            }
        }

        return null;
    }

    public void Add(ConsumerGroupMember member)
    {
        _members[member.MemberId] = member;
        AddPartitionEpochs(member);
    }

    public void Remove(string memberId)
    {
        if (_members.Remove(memberId, out ConsumerGroupMember? member))
        {
            RemovePartitionEpochs(member);
        }

        TargetAssignment.Remove(memberId);
    }

    /// <summary>The epoch of the member that owns <paramref name="partition"/> (assigned or still revoking), -1 when free.</summary>
    public int PartitionEpoch(TopicIdPartition partition) => _partitionEpochs.GetValueOrDefault(partition, -1);

    /// <summary>Replaces a member's reconciled assignment, keeping the partition owner map in step.</summary>
    public void UpdateAssignment(ConsumerGroupMember member, int epoch, MemberReconciliationState state, HashSet<TopicIdPartition> assigned, HashSet<TopicIdPartition> pendingRevocation)
    {
        RemovePartitionEpochs(member);
        if (epoch != member.MemberEpoch)
        {
            member.PreviousMemberEpoch = member.MemberEpoch;
        }

        member.MemberEpoch = epoch;
        member.State = state;
        member.AssignedPartitions = assigned;
        member.PartitionsPendingRevocation = pendingRevocation;
        AddPartitionEpochs(member);
    }

    private void AddPartitionEpochs(ConsumerGroupMember member)
    {
        foreach (TopicIdPartition partition in member.AssignedPartitions)
        {
            _partitionEpochs[partition] = member.MemberEpoch;
        }

        foreach (TopicIdPartition partition in member.PartitionsPendingRevocation)
        {
            _partitionEpochs[partition] = member.MemberEpoch;
        }
    }

    private void RemovePartitionEpochs(ConsumerGroupMember member)
    {
        foreach (TopicIdPartition partition in member.AssignedPartitions)
        {
            _partitionEpochs.Remove(partition);
        }

        foreach (TopicIdPartition partition in member.PartitionsPendingRevocation)
        {
            _partitionEpochs.Remove(partition);
        }
    }
}
