namespace Samsa.Broker.Groups;

/// <summary>
/// The member reconciliation state machine of the consumer group protocol (Kafka's
/// CurrentAssignmentBuilder): moves a member towards its target assignment one safe step at a
/// time. Partitions leave a member first (it stays at its epoch in UnrevokedPartitions until its
/// heartbeat no longer lists them); only then does it move to the target epoch and receive new
/// partitions, and of those only the ones no other member still owns (the rest arrive later,
/// UnreleasedPartitions). So no partition ever has two owners.
/// </summary>
internal static class MemberReconciler
{
    /// <summary>The member's next state; <c>Changed</c> is false when it must stay where it is.</summary>
    /// <param name="owned">The partitions the member reported owning in this heartbeat; null when not reported.</param>
    public static Step Next(ConsumerGroup group, ConsumerGroupMember member, int targetEpoch, HashSet<TopicIdPartition> target, HashSet<TopicIdPartition>? owned)
    {
        switch (member.State)
        {
            case MemberReconciliationState.Stable:
                return member.MemberEpoch == targetEpoch ? Step.Unchanged : Compute(group, member, targetEpoch, target, owned);
            case MemberReconciliationState.UnrevokedPartitions:
                return OwnsAny(owned, member.PartitionsPendingRevocation) ? Step.Unchanged : Compute(group, member, targetEpoch, target, owned);
            default:
                return Compute(group, member, targetEpoch, target, owned);
        }
    }

    private static Step Compute(ConsumerGroup group, ConsumerGroupMember member, int targetEpoch, HashSet<TopicIdPartition> target, HashSet<TopicIdPartition>? owned)
    {
        // Kept = what it has that is still its target; revoke = the rest of what it has.
        var assigned = new HashSet<TopicIdPartition>(member.AssignedPartitions);
        assigned.IntersectWith(target);
        var revoke = new HashSet<TopicIdPartition>(member.AssignedPartitions);
        revoke.ExceptWith(assigned);

        // To assign = target it does not have yet, minus partitions another member still holds.
        var toAssign = new HashSet<TopicIdPartition>();
        bool hasUnreleased = false;
        foreach (TopicIdPartition partition in target)
        {
            if (assigned.Contains(partition))
            {
                continue;
            }

            if (group.PartitionEpoch(partition) != -1 && !member.PartitionsPendingRevocation.Contains(partition))
            {
                hasUnreleased = true;
                continue;
            }

            toAssign.Add(partition);
        }

        if (revoke.Count > 0 && OwnsAny(owned, revoke))
        {
            return new Step(true, member.MemberEpoch, MemberReconciliationState.UnrevokedPartitions, assigned, revoke);
        }

        assigned.UnionWith(toAssign);
        MemberReconciliationState state = hasUnreleased ? MemberReconciliationState.UnreleasedPartitions : MemberReconciliationState.Stable;
        return new Step(true, targetEpoch, state, assigned, []);
    }

    /// <summary>Whether the member still holds any of <paramref name="partitions"/>; a heartbeat that did not report its partitions counts as holding them.</summary>
    private static bool OwnsAny(HashSet<TopicIdPartition>? owned, HashSet<TopicIdPartition> partitions)
    {
        if (owned is null)
        {
            return true;
        }

        foreach (TopicIdPartition partition in partitions)
        {
            if (owned.Contains(partition))
            {
                return true;
            }
        }

        return false;
    }

    internal readonly record struct Step(bool Changed, int Epoch, MemberReconciliationState State, HashSet<TopicIdPartition> Assigned, HashSet<TopicIdPartition> PendingRevocation)
    {
        public static Step Unchanged => new(false, 0, MemberReconciliationState.Stable, [], []);
    }
}
