using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Broker.Groups;

/// <summary>OffsetCommit, OffsetFetch and the expiry of offsets of empty groups.</summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// Commits offsets for a group (the handler already answered partitions that do not exist or
    /// whose metadata is too large). Returns the one error every given partition gets.
    /// A commit with generation -1 (and no member) is a standalone commit, allowed only while the
    /// group has no members. For a consumer-protocol group the generation is the member epoch.
    /// </summary>
    public Task<ErrorCode> CommitOffsetsAsync(string groupId, int generationId, string memberId, string? groupInstanceId, IReadOnlyList<(TopicPartition Partition, CommittedOffset Offset)> offsets, short apiVersion = 9)
    {
        GroupWrite write;
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(groupId, allowEmpty: true, out int partition);
            if (error != ErrorCode.None)
            {
                return Task.FromResult(error);
            }

            ClassicGroup? group = GetGroup(groupId);
            if (group is null)
            {
                if (generationId >= 0)
                {
                    // A member of a generation this coordinator does not know (it moved, or the group expired).
                    return Task.FromResult(ErrorCode.IllegalGeneration);
                }

                group = new ClassicGroup(groupId, partition, NowMs);
                _groups.Add(groupId, group);
            }

            error = group.ConsumerProtocol is ConsumerGroup consumerGroup
                ? ValidateConsumerCommit(consumerGroup, generationId, memberId, apiVersion)
                : ValidateCommit(group, generationId, memberId, groupInstanceId);
            if (error != ErrorCode.None || offsets.Count == 0)
            {
                return Task.FromResult(error);
            }

            var records = new List<(byte[] Key, byte[]? Value)>(offsets.Count);
            foreach ((TopicPartition tp, CommittedOffset offset) in offsets)
            {
                records.Add((GroupRecordCodec.OffsetKey(groupId, tp.Topic, tp.Partition), GroupRecordCodec.OffsetValue(offset)));
            }

            write = AppendLocked(group.Partition, records);
            if (write.Error == ErrorCode.None)
            {
                // Applied once in the leader's log, in log order; a later replication failure is
                // reported to the client, and the record stays in the log as Kafka's would.
                foreach ((TopicPartition tp, CommittedOffset offset) in offsets)
                {
                    group.Offsets[tp] = offset;
                }
            }
        }

        return CompleteCommitAsync(write);
    }

    private async Task<ErrorCode> CompleteCommitAsync(GroupWrite write) =>
        OffsetStoreError(await WaitForWriteAsync(write).ConfigureAwait(false));

    private ErrorCode ValidateCommit(ClassicGroup group, int generationId, string memberId, string? groupInstanceId)
    {
        if (group.State == GroupState.Dead)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        if (group.IsStaticMemberFenced(groupInstanceId, memberId))
        {
            return ErrorCode.FencedInstanceId;
        }

        if (generationId < 0 && group.State == GroupState.Empty)
        {
            return ErrorCode.None;
        }

        GroupMember? member = group.Get(memberId);
        if (member is null)
        {
            return ErrorCode.UnknownMemberId;
        }

        if (generationId != group.GenerationId)
        {
            return ErrorCode.IllegalGeneration;
        }

        if (group.State == GroupState.CompletingRebalance)
        {
            // The member knows the new generation but has no assignment yet: it must finish the sync first.
            return ErrorCode.RebalanceInProgress;
        }

        // Stable, or PreparingRebalance: commits are still allowed while members learn of the rebalance.
        ScheduleHeartbeat(member);
        return ErrorCode.None;
    }

    /// <summary>
    /// The committed offsets of a group: for <paramref name="partitions"/>, or every committed
    /// partition when null. A partition without a commit answers offset -1 and empty metadata.
    /// A member of a consumer-protocol group (OffsetFetch v9+) must send its current epoch.
    /// </summary>
    public (ErrorCode Error, List<(TopicPartition Partition, CommittedOffset? Offset)> Offsets) FetchOffsets(string groupId, IReadOnlyList<TopicPartition>? partitions, string? memberId = null, int memberEpoch = -1)
    {
        var result = new List<(TopicPartition, CommittedOffset?)>();
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(groupId, allowEmpty: true, out _);
            if (error != ErrorCode.None)
            {
                return (error, result);
            }

            ClassicGroup? group = GetGroup(groupId);
            if (group?.ConsumerProtocol is ConsumerGroup consumerGroup)
            {
                error = ValidateConsumerFetch(consumerGroup, memberId, memberEpoch);
                if (error != ErrorCode.None)
                {
                    return (error, result);
                }
            }

            if (partitions is null)
            {
                if (group is not null)
                {
                    foreach ((TopicPartition tp, CommittedOffset offset) in group.Offsets)
                    {
                        result.Add((tp, offset));
                    }
                }

                return (ErrorCode.None, result);
            }

            foreach (TopicPartition tp in partitions)
            {
                result.Add((tp, group?.Offsets.GetValueOrDefault(tp)));
            }
        }

        return (ErrorCode.None, result);
    }

    /// <summary>
    /// Expires offsets of Empty groups after offsets.retention.minutes (counted from when the
    /// group became empty, or from the commit for groups that never had members; an explicit
    /// expire timestamp wins), writing tombstones; an Empty group left without offsets is removed.
    /// </summary>
    private void ExpireOffsetsLocked(long now)
    {
        List<ClassicGroup>? deadGroups = null;
        foreach (ClassicGroup group in _groups.Values)
        {
            if (group.State != GroupState.Empty || group.ConsumerProtocol is { Members.Count: > 0 } || !IsLoaded(group.Partition))
            {
                continue;
            }

            List<TopicPartition>? expired = null;
            foreach ((TopicPartition tp, CommittedOffset offset) in group.Offsets)
            {
                bool isExpired = offset.ExpireTimestamp >= 0
                    ? now >= offset.ExpireTimestamp
                    : now - (group.CurrentStateTimestampMs >= 0 ? group.CurrentStateTimestampMs : offset.CommitTimestamp) >= _options.OffsetsRetentionMs;
                if (isExpired)
                {
                    (expired ??= []).Add(tp);
                }
            }

            var records = new List<(byte[] Key, byte[]? Value)>();
            if (expired is not null)
            {
                foreach (TopicPartition tp in expired)
                {
                    group.Offsets.Remove(tp);
                    records.Add((GroupRecordCodec.OffsetKey(group.GroupId, tp.Topic, tp.Partition), null));
                }
            }

            if (group.Offsets.Count == 0 && group.Members.Count == 0 && group.PendingMembers.Count == 0)
            {
                AddGroupTombstones(group, records);
                (deadGroups ??= []).Add(group);
            }

            if (expired is not null)
            {
                Info($"Removed {expired.Count} expired offsets of group {group.GroupId}.");
            }

            GroupWrite write = AppendLocked(group.Partition, records);
            if (write.Error != ErrorCode.None)
            {
                Warn($"Failed to write tombstones for expired offsets of group {group.GroupId}: {write.Error}");
            }
        }

        if (deadGroups is not null)
        {
            foreach (ClassicGroup group in deadGroups)
            {
                RemoveGroup(group);
            }
        }
    }

    private bool IsLoaded(int partition) => _owned.TryGetValue(partition, out OffsetsPartitionOwnership? owned) && owned.IsLoaded;

    /// <summary>Runs the offset expiry now (the timer loop runs it every offsets.retention.check.interval.ms).</summary>
    public void ExpireOffsets()
    {
        lock (_lock)
        {
            ExpireOffsetsLocked(NowMs);
        }
    }
}
