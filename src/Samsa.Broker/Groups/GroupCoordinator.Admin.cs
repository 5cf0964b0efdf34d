using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Groups;

/// <summary>DescribeGroups, ListGroups, DeleteGroups and OffsetDelete.</summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>Kafka's name for the classic protocol in ListGroups v5's group type.</summary>
    public const string ClassicGroupType = "classic";

    /// <summary>Kafka's name for the KIP-848 consumer protocol in ListGroups v5's group type.</summary>
    public const string ConsumerGroupType = "consumer";

    public DescribeGroupsResponseData.DescribedGroup DescribeGroup(string groupId)
    {
        var described = new DescribeGroupsResponseData.DescribedGroup { GroupId = groupId };
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(groupId, allowEmpty: true, out _);
            if (error != ErrorCode.None)
            {
                described.ErrorCode = (short)error;
                return described;
            }

            ClassicGroup? group = GetGroup(groupId);
            if (group is null)
            {
                // Kafka describes an unknown group as Dead with no error (v0-5).
                described.GroupState = nameof(GroupState.Dead);
                return described;
            }

            if (group.ConsumerProtocol is not null)
            {
                // Kafka describes consumer-protocol groups only through ConsumerGroupDescribe.
                described.ErrorCode = (short)ErrorCode.GroupIdNotFound;
                described.ErrorMessage = $"Group {groupId} is not a classic group.";
                return described;
            }

            described.GroupState = group.State.ToString();
            described.ProtocolType = group.ProtocolType ?? string.Empty;
            bool stable = group.State == GroupState.Stable;
            described.ProtocolData = stable ? group.ProtocolName ?? string.Empty : string.Empty;
            foreach (GroupMember member in group.Members.Values)
            {
                described.Members.Add(new DescribeGroupsResponseData.DescribedGroupMember
                {
                    MemberId = member.MemberId,
                    GroupInstanceId = member.GroupInstanceId,
                    ClientId = member.ClientId,
                    ClientHost = member.ClientHost,
                    MemberMetadata = stable ? member.MetadataFor(group.ProtocolName!) ?? [] : [],
                    MemberAssignment = stable ? member.Assignment : [],
                });
            }
        }

        return described;
    }

    /// <summary>The groups this broker coordinates; COORDINATOR_LOAD_IN_PROGRESS while any of its partitions is loading.</summary>
    public (ErrorCode Error, List<ListGroupsResponseData.ListedGroup> Groups) ListGroups(IReadOnlyCollection<string> statesFilter, IReadOnlyCollection<string> typesFilter)
    {
        var groups = new List<ListGroupsResponseData.ListedGroup>();
        lock (_lock)
        {
            ErrorCode error = ErrorCode.None;
            foreach (OffsetsPartitionOwnership owned in _owned.Values)
            {
                if (!owned.IsLoaded)
                {
                    error = ErrorCode.CoordinatorLoadInProgress;
                }
            }

            foreach (ClassicGroup group in _groups.Values)
            {
                if (group.State == GroupState.Dead || !IsLoaded(group.Partition))
                {
                    continue;
                }

                string type = group.ConsumerProtocol is null ? ClassicGroupType : ConsumerGroupType;
                bool typeMatches = typesFilter.Count == 0;
                foreach (string wantedType in typesFilter)
                {
                    typeMatches |= string.Equals(wantedType, type, StringComparison.OrdinalIgnoreCase);
                }

                if (!typeMatches)
                {
                    continue;
                }

                string state = group.ConsumerProtocol?.State ?? group.State.ToString();
                bool stateMatches = statesFilter.Count == 0;
                foreach (string wanted in statesFilter)
                {
                    stateMatches |= string.Equals(wanted, state, StringComparison.OrdinalIgnoreCase);
                }

                if (stateMatches)
                {
                    groups.Add(new ListGroupsResponseData.ListedGroup
                    {
                        GroupId = group.GroupId,
                        ProtocolType = group.ConsumerProtocol is null ? group.ProtocolType ?? string.Empty : ConsumerSubscriptions.ConsumerProtocolType,
                        GroupState = state,
                        GroupType = type,
                    });
                }
            }

            return (error, groups);
        }
    }

    /// <summary>Deletes groups that have no members (with their offsets): NON_EMPTY_GROUP otherwise, GROUP_ID_NOT_FOUND when unknown.</summary>
    public async Task<List<(string GroupId, ErrorCode Error)>> DeleteGroupsAsync(IReadOnlyList<string> groupIds)
    {
        var results = new List<(string GroupId, ErrorCode Error)>(groupIds.Count);
        var writes = new List<(int Index, GroupWrite Write)>();
        lock (_lock)
        {
            foreach (string groupId in groupIds)
            {
                ErrorCode error = CheckCoordinator(groupId, allowEmpty: true, out _);
                ClassicGroup? group = error == ErrorCode.None ? GetGroup(groupId) : null;
                if (error == ErrorCode.None)
                {
                    error = group is null || group.State == GroupState.Dead ? ErrorCode.GroupIdNotFound
                        : group.State != GroupState.Empty || group.ConsumerProtocol is { Members.Count: > 0 } ? ErrorCode.NonEmptyGroup
                        : ErrorCode.None;
                }

                if (error == ErrorCode.None)
                {
                    var records = new List<(byte[] Key, byte[]? Value)>(group!.Offsets.Count + 1);
                    foreach (TopicPartition tp in group.Offsets.Keys)
                    {
                        records.Add((GroupRecordCodec.OffsetKey(groupId, tp.Topic, tp.Partition), null));
                    }

                    int offsetCount = records.Count;
                    AddGroupTombstones(group, records);
                    GroupWrite write = AppendLocked(group.Partition, records);
                    if (write.Error == ErrorCode.None)
                    {
                        RemoveGroup(group);
                        Info($"Deleted group {groupId} and its {offsetCount} offsets.");
                        writes.Add((results.Count, write));
                    }
                    else
                    {
                        error = GroupStoreError(write.Error);
                    }
                }

                results.Add((groupId, error));
            }
        }

        foreach ((int index, GroupWrite write) in writes)
        {
            ErrorCode error = GroupStoreError(await WaitForWriteAsync(write).ConfigureAwait(false));
            if (error != ErrorCode.None)
            {
                results[index] = (results[index].GroupId, error);
            }
        }

        return results;
    }

    /// <summary>
    /// OffsetDelete: removes a group's committed offsets for the given partitions. A group with
    /// members keeps the offsets of topics it consumes (GROUP_SUBSCRIBED_TO_TOPIC per partition).
    /// </summary>
    public async Task<(ErrorCode Error, List<(TopicPartition Partition, ErrorCode Error)> Partitions)> DeleteOffsetsAsync(string groupId, IReadOnlyList<TopicPartition> partitions)
    {
        var results = new List<(TopicPartition, ErrorCode)>(partitions.Count);
        GroupWrite write;
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(groupId, allowEmpty: false, out _);
            if (error != ErrorCode.None)
            {
                return (error, results);
            }

            ClassicGroup? group = GetGroup(groupId);
            if (group is null || group.State == GroupState.Dead)
            {
                return (ErrorCode.GroupIdNotFound, results);
            }

            bool empty = group.State == GroupState.Empty && group.ConsumerProtocol is not { Members.Count: > 0 };
            if (!empty && group.ConsumerProtocol is null && group.ProtocolType != ConsumerSubscriptions.ConsumerProtocolType)
            {
                return (ErrorCode.NonEmptyGroup, results);
            }

            HashSet<string>? subscribed = group.ConsumerProtocol is ConsumerGroup consumerGroup
                ? SubscribedTopics(consumerGroup)
                : group.SubscribedTopics;

            var records = new List<(byte[] Key, byte[]? Value)>();
            foreach (TopicPartition tp in partitions)
            {
                if (!empty && subscribed is not null && subscribed.Contains(tp.Topic))
                {
                    results.Add((tp, ErrorCode.GroupSubscribedToTopic));
                    continue;
                }

                if (group.Offsets.Remove(tp))
                {
                    records.Add((GroupRecordCodec.OffsetKey(groupId, tp.Topic, tp.Partition), null));
                }

                results.Add((tp, ErrorCode.None));
            }

            write = AppendLocked(group.Partition, records);
        }

        ErrorCode writeError = OffsetStoreError(await WaitForWriteAsync(write).ConfigureAwait(false));
        if (writeError != ErrorCode.None)
        {
            return (writeError, results);
        }

        return (ErrorCode.None, results);
    }
}
