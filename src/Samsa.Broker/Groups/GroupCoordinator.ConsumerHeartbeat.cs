using System.Text.RegularExpressions;
using Samsa.Broker.Metadata;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>
/// ConsumerGroupHeartbeat (KIP-848, Kafka 4.0 semantics): one request joins, heartbeats, changes
/// the subscription and leaves. A membership or subscription change bumps the group epoch; the
/// coordinator then computes a new target assignment with a server-side assignor, and each member
/// converges on its share through <see cref="MemberReconciler"/> in its own heartbeats. Every
/// change is a record in __consumer_offsets; the response waits until those are replicated.
/// </summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>Bound on matching a subscription regex against one topic name.</summary>
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    public Task<ConsumerGroupHeartbeatResponseData> ConsumerGroupHeartbeatAsync(ConsumerGroupHeartbeatRequestData request, string clientId, string clientHost, short version)
    {
        ConsumerGroupHeartbeatResponseData response;
        GroupWrite write = GroupWrite.Done;
        lock (_lock)
        {
            response = ConsumerHeartbeatLocked(request, clientId, clientHost, version, ref write);
        }

        return CompleteConsumerHeartbeatAsync(response, write);
    }

    private async Task<ConsumerGroupHeartbeatResponseData> CompleteConsumerHeartbeatAsync(ConsumerGroupHeartbeatResponseData response, GroupWrite write)
    {
        ErrorCode error = ConsumerStoreError(await WaitForWriteAsync(write).ConfigureAwait(false));
        return error == ErrorCode.None ? response : HeartbeatError(error, null);
    }

    private static ConsumerGroupHeartbeatResponseData HeartbeatError(ErrorCode error, string? message) => new()
    {
        ErrorCode = (short)error,
        ErrorMessage = message,
    };

    private ConsumerGroupHeartbeatResponseData ConsumerHeartbeatLocked(ConsumerGroupHeartbeatRequestData request, string clientId, string clientHost, short version, ref GroupWrite write)
    {
        string? invalid = InvalidHeartbeatReason(request, version);
        if (invalid is not null)
        {
            return HeartbeatError(ErrorCode.InvalidRequest, invalid);
        }

        if (request.ServerAssignor is string assignorName && !IsConfiguredAssignor(assignorName))
        {
            return HeartbeatError(ErrorCode.UnsupportedAssignor, $"ServerAssignor {assignorName} is not supported. Supported assignors: {string.Join(", ", _options.ConsumerAssignors)}.");
        }

        Regex? regex = null;
        if (!string.IsNullOrEmpty(request.SubscribedTopicRegex) && !TryCompileRegex(request.SubscribedTopicRegex, out regex))
        {
            return HeartbeatError(ErrorCode.InvalidRegularExpression, $"SubscribedTopicRegex {request.SubscribedTopicRegex} is not a valid regular expression.");
        }

        ErrorCode error = CheckCoordinator(request.GroupId, allowEmpty: false, out int partition);
        if (error != ErrorCode.None)
        {
            return HeartbeatError(error, null);
        }

        string groupId = request.GroupId;
        ClassicGroup? entry = GetGroup(groupId);
        var records = new List<(byte[] Key, byte[]? Value)>();
        if (request.MemberEpoch is ConsumerGroupMember.LeaveEpoch or ConsumerGroupMember.LeaveStaticEpoch)
        {
            ConsumerGroupHeartbeatResponseData left = LeaveConsumerGroupLocked(entry, request, records);
            write = AppendLocked(entry?.Partition ?? partition, records);
            return left;
        }

        if (entry is not null && entry.State == GroupState.Dead)
        {
            return HeartbeatError(ErrorCode.CoordinatorNotAvailable, null);
        }

        if (entry is not null && entry.ConsumerProtocol is null
            && (entry.Members.Count > 0 || entry.PendingMembers.Count > 0 || entry.State != GroupState.Empty))
        {
            // A classic group with members cannot take consumer-protocol members (no online migration).
            return HeartbeatError(ErrorCode.GroupIdNotFound, $"Group {groupId} is not a consumer group.");
        }

        if (entry?.ConsumerProtocol is null && request.MemberEpoch != 0)
        {
            return HeartbeatError(ErrorCode.UnknownMemberId, $"Member {request.MemberId} is not a member of group {groupId}.");
        }

        if (entry is null)
        {
            entry = new ClassicGroup(groupId, partition, NowMs);
            _groups.Add(groupId, entry);
        }

        if (entry.ConsumerProtocol is null)
        {
            // An empty classic group (or one that only holds offsets) becomes a consumer group, keeping its offsets.
            entry.ConsumerProtocol = new ConsumerGroup();
            records.Add((GroupRecordCodec.GroupKey(groupId), null));
            Info($"Group {groupId} is now a consumer group.");
        }

        ConsumerGroup group = entry.ConsumerProtocol;
        string memberId = request.MemberId.Length > 0 ? request.MemberId : Guid.NewGuid().ToString();
        ConsumerGroupMember? member;
        bool isNew = false;
        if (request.MemberEpoch == 0)
        {
            ConsumerGroupMember? previous = request.InstanceId is string instanceId ? group.GetByInstanceId(instanceId) : null;
            if (previous is not null && previous.MemberId != memberId)
            {
                if (!previous.HasLeftStatically)
                {
                    return HeartbeatError(ErrorCode.UnreleasedInstanceId, $"Static member {previous.MemberId} with instance id {request.InstanceId} is still in group {groupId}.");
                }

                // A static member back within its session timeout takes over its predecessor's
                // assignment: no group epoch bump unless its subscription changed.
                member = ReplaceStaticMember(groupId, group, previous, memberId, records);
            }
            else
            {
                member = group.Get(memberId);
                if (member is null)
                {
                    member = new ConsumerGroupMember(memberId) { InstanceId = request.InstanceId };
                    group.Add(member);
                    isNew = true;
                }
            }
        }
        else
        {
            member = group.Get(memberId);
            if (member is null)
            {
                return HeartbeatError(ErrorCode.UnknownMemberId, $"Member {memberId} is not a member of group {groupId}.");
            }

            if (!IsAcceptableEpoch(member, request))
            {
                return HeartbeatError(ErrorCode.FencedMemberEpoch, $"The consumer group member has a epoch ({request.MemberEpoch}) that does not match the expected epoch ({member.MemberEpoch}).");
            }
        }

        long now = NowMs;
        bool bump = UpdateMemberFromRequest(member, request, clientId, clientHost, regex, isNew, out bool metadataChanged);
        if (metadataChanged)
        {
            records.Add((ConsumerGroupRecordCodec.MemberKey(groupId, memberId), ConsumerGroupRecordCodec.MemberValue(member)));
        }

        MetadataCache.Snapshot snapshot = _metadata.Current;
        if (bump || !ReferenceEquals(group.CheckedMetadata, snapshot))
        {
            // Re-resolving subscriptions only when members or the cluster metadata changed keeps
            // plain heartbeats cheap.
            Dictionary<string, int> counts = SubscribedTopicPartitionCounts(group, snapshot);
            if (group.SubscribedTopicPartitionCounts is not null && !SameCounts(group.SubscribedTopicPartitionCounts, counts))
            {
                bump = true;
            }

            group.SubscribedTopicPartitionCounts = counts;
            group.CheckedMetadata = snapshot;
        }

        if (bump)
        {
            group.GroupEpoch++;
            records.Add((ConsumerGroupRecordCodec.GroupKey(groupId), ConsumerGroupRecordCodec.GroupValue(group)));
        }

        if (group.GroupEpoch > group.TargetAssignmentEpoch)
        {
            ComputeTargetAssignment(groupId, group, snapshot, records);
        }

        HashSet<TopicIdPartition> previousAssigned = member.AssignedPartitions;
        HashSet<TopicIdPartition>? owned = request.TopicPartitions is null
            ? null
            : ConsumerGroupRecordCodec.ToSet(request.TopicPartitions, t => t.TopicId, t => t.Partitions);
        ReconcileMember(groupId, group, member, owned, now, records);
        member.SessionDeadlineMs = now + _options.ConsumerSessionTimeoutMs;

        write = AppendLocked(entry.Partition, records);
        var response = new ConsumerGroupHeartbeatResponseData
        {
            MemberId = memberId,
            MemberEpoch = member.MemberEpoch,
            HeartbeatIntervalMs = _options.ConsumerHeartbeatIntervalMs,
        };

        // The assignment goes out on a full request (join, or a client recovering from an error)
        // and whenever it changed; otherwise the member keeps what it has.
        bool isFullRequest = request.MemberEpoch == 0
            || (request.RebalanceTimeoutMs != -1 && (request.SubscribedTopicNames is not null || request.SubscribedTopicRegex is not null) && request.TopicPartitions is not null);
        if (isFullRequest || !previousAssigned.SetEquals(member.AssignedPartitions))
        {
            response.Assignment = new ConsumerGroupHeartbeatResponseData.MemberAssignment();
            foreach ((Protocol.Primitives.Uuid topicId, List<int> partitions) in ConsumerGroupRecordCodec.ByTopic(member.AssignedPartitions))
            {
                response.Assignment.TopicPartitions.Add(new ConsumerGroupHeartbeatResponseData.TopicPartitionsEntry { TopicId = topicId, Partitions = partitions });
            }
        }

        return response;
    }

    private bool IsConfiguredAssignor(string name)
    {
        foreach (string configured in _options.ConsumerAssignors)
        {
            if (configured == name)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Kafka's request checks; null when the request is well formed.</summary>
    private static string? InvalidHeartbeatReason(ConsumerGroupHeartbeatRequestData request, short version)
    {
        if (request.GroupId.Length == 0)
        {
            return "GroupId can't be empty.";
        }

        if (request.InstanceId is { Length: 0 })
        {
            return "InstanceId can't be empty.";
        }

        if (request.RackId is { Length: 0 })
        {
            return "RackId can't be empty.";
        }

        if (version >= 1 && request.MemberId.Length == 0)
        {
            // KIP-1082: from v1 the client makes up its member id.
            return "MemberId can't be empty.";
        }

        switch (request.MemberEpoch)
        {
            case 0:
                if (request.RebalanceTimeoutMs == -1)
                {
                    return "RebalanceTimeoutMs must be provided in first request.";
                }

                if (request.TopicPartitions is null || request.TopicPartitions.Count > 0)
                {
                    return "TopicPartitions must be empty when (re-)joining.";
                }

                if (request.SubscribedTopicNames is null && request.SubscribedTopicRegex is null)
                {
                    return "Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.";
                }

                return null;
            case ConsumerGroupMember.LeaveStaticEpoch:
                return request.InstanceId is null ? "InstanceId can't be null." : (request.MemberId.Length == 0 ? "MemberId can't be empty." : null);
            case ConsumerGroupMember.LeaveEpoch:
                return request.MemberId.Length == 0 ? "MemberId can't be empty." : null;
            case < 0:
                return $"MemberEpoch {request.MemberEpoch} is invalid.";
            default:
                return request.MemberId.Length == 0 ? "MemberId can't be empty." : null;
        }
    }

    /// <summary>
    /// The request's epoch is the member's, or the previous one when the response that bumped it
    /// was lost and the member still owns only partitions it had then.
    /// </summary>
    private static bool IsAcceptableEpoch(ConsumerGroupMember member, ConsumerGroupHeartbeatRequestData request)
    {
        if (request.MemberEpoch == member.MemberEpoch)
        {
            return true;
        }

        if (request.MemberEpoch > member.MemberEpoch || request.MemberEpoch != member.PreviousMemberEpoch || request.TopicPartitions is null)
        {
            return false;
        }

        foreach (ConsumerGroupHeartbeatRequestData.TopicPartitionsEntry topic in request.TopicPartitions)
        {
            foreach (int partition in topic.Partitions)
            {
                if (!member.AssignedPartitions.Contains(new TopicIdPartition(topic.TopicId, partition)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Applies the request's non-null fields; returns whether the group epoch must be bumped (membership or subscription changed).</summary>
    private static bool UpdateMemberFromRequest(ConsumerGroupMember member, ConsumerGroupHeartbeatRequestData request, string clientId, string clientHost, Regex? regex, bool isNew, out bool metadataChanged)
    {
        bool bump = isNew;
        metadataChanged = isNew;
        if (member.ClientId != clientId || member.ClientHost != clientHost)
        {
            member.ClientId = clientId;
            member.ClientHost = clientHost;
            metadataChanged = true;
        }

        if (request.RackId is not null && request.RackId != member.RackId)
        {
            member.RackId = request.RackId;
            metadataChanged = true;
        }

        if (request.RebalanceTimeoutMs != -1 && request.RebalanceTimeoutMs != member.RebalanceTimeoutMs)
        {
            member.RebalanceTimeoutMs = request.RebalanceTimeoutMs;
            metadataChanged = true;
        }

        if (request.SubscribedTopicNames is not null && !SameNames(member.SubscribedTopicNames, request.SubscribedTopicNames))
        {
            member.SubscribedTopicNames = [.. request.SubscribedTopicNames];
            metadataChanged = bump = true;
        }

        if (request.SubscribedTopicRegex is not null)
        {
            string? wanted = request.SubscribedTopicRegex.Length == 0 ? null : request.SubscribedTopicRegex;
            if (wanted != member.SubscribedTopicRegex)
            {
                member.SubscribedTopicRegex = wanted;
                member.CompiledRegex = regex;
                metadataChanged = bump = true;
            }
        }

        if (request.ServerAssignor is not null && request.ServerAssignor != member.ServerAssignor)
        {
            member.ServerAssignor = request.ServerAssignor;
            metadataChanged = bump = true;
        }

        return bump;
    }

    private static bool SameNames(List<string> current, List<string> requested)
    {
        if (current.Count != requested.Count)
        {
            return false;
        }

        var set = new HashSet<string>(current, StringComparer.Ordinal);
        foreach (string name in requested)
        {
            if (!set.Contains(name))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryCompileRegex(string pattern, out Regex? regex)
    {
        try
        {
            // Kafka matches the whole topic name (Java's Matcher.matches()).
            regex = new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, RegexTimeout);
            return true;
        }
        catch (ArgumentException)
        {
            regex = null;
            return false;
        }
    }

    /// <summary>The existing topics a member consumes: its names plus, for a regex, every non-internal topic it matches.</summary>
    private static HashSet<string> ResolvedTopics(ConsumerGroupMember member, MetadataCache.Snapshot snapshot)
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in member.SubscribedTopicNames)
        {
            if (snapshot.Topic(name) is not null)
            {
                topics.Add(name);
            }
        }

        if (member.SubscribedTopicRegex is string pattern)
        {
            if (member.CompiledRegex is null && TryCompileRegex(pattern, out Regex? compiled))
            {
                member.CompiledRegex = compiled;
            }

            if (member.CompiledRegex is Regex regex)
            {
                foreach (TopicState topic in snapshot.Topics.Values)
                {
                    if (!topic.IsInternal && IsMatch(regex, topic.Name))
                    {
                        topics.Add(topic.Name);
                    }
                }
            }
        }

        return topics;
    }

    private static bool IsMatch(Regex regex, string name)
    {
        try
        {
            return regex.IsMatch(name);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private static Dictionary<string, int> SubscribedTopicPartitionCounts(ConsumerGroup group, MetadataCache.Snapshot snapshot)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ConsumerGroupMember member in group.Members.Values)
        {
            foreach (string topic in ResolvedTopics(member, snapshot))
            {
                counts[topic] = snapshot.Topic(topic)!.Partitions.Length;
            }
        }

        return counts;
    }

    private static bool SameCounts(Dictionary<string, int> a, Dictionary<string, int> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach ((string topic, int count) in a)
        {
            if (!b.TryGetValue(topic, out int other) || other != count)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The assignor most members asked for (ties go to the configured order), else the configured default.</summary>
    private ConsumerGroupAssignor PreferredAssignor(ConsumerGroup group)
    {
        string best = _options.ConsumerAssignors[0];
        int bestVotes = 0;
        foreach (string name in _options.ConsumerAssignors)
        {
            int votes = 0;
            foreach (ConsumerGroupMember member in group.Members.Values)
            {
                if (member.ServerAssignor == name)
                {
                    votes++;
                }
            }

            if (votes > bestVotes)
            {
                best = name;
                bestVotes = votes;
            }
        }

        return ConsumerGroupAssignor.ByName(best) ?? new UniformAssignor();
    }

    /// <summary>The name of the assignor the group uses now (ConsumerGroupDescribe's AssignorName).</summary>
    private string AssignorNameOf(ConsumerGroup group) => PreferredAssignor(group).Name;

    /// <summary>Runs the group's assignor for the current members and topics: the target of the new group epoch.</summary>
    private void ComputeTargetAssignment(string groupId, ConsumerGroup group, MetadataCache.Snapshot snapshot, List<(byte[] Key, byte[]? Value)> records)
    {
        var memberIds = new List<string>(group.Members.Keys);
        memberIds.Sort(StringComparer.Ordinal);
        var members = new List<AssignmentMember>(memberIds.Count);
        var topicNames = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string id in memberIds)
        {
            HashSet<string> resolved = ResolvedTopics(group.Members[id], snapshot);
            topicNames.UnionWith(resolved);
            members.Add(new AssignmentMember(id, resolved));
        }

        var topics = new List<AssignmentTopic>(topicNames.Count);
        foreach (string name in topicNames)
        {
            TopicState topic = snapshot.Topic(name)!;
            topics.Add(new AssignmentTopic(name, topic.TopicId, topic.Partitions.Length));
        }

        Dictionary<string, HashSet<TopicIdPartition>> target = PreferredAssignor(group).Assign(members, topics, group.TargetAssignment);
        foreach ((string id, HashSet<TopicIdPartition> partitions) in target)
        {
            if (!group.TargetAssignment.TryGetValue(id, out HashSet<TopicIdPartition>? previous) || !previous.SetEquals(partitions))
            {
                records.Add((ConsumerGroupRecordCodec.TargetMemberKey(groupId, id), ConsumerGroupRecordCodec.TargetMemberValue(partitions)));
            }
        }

        group.TargetAssignment.Clear();
        foreach ((string id, HashSet<TopicIdPartition> partitions) in target)
        {
            group.TargetAssignment[id] = partitions;
        }

        group.TargetAssignmentEpoch = group.GroupEpoch;
        records.Add((ConsumerGroupRecordCodec.TargetMetadataKey(groupId), ConsumerGroupRecordCodec.TargetMetadataValue(group.TargetAssignmentEpoch)));
    }

    /// <summary>Moves the member one step towards its target; records the new current assignment when it changed.</summary>
    private static void ReconcileMember(string groupId, ConsumerGroup group, ConsumerGroupMember member, HashSet<TopicIdPartition>? owned, long now, List<(byte[] Key, byte[]? Value)> records)
    {
        HashSet<TopicIdPartition> target = group.TargetAssignment.GetValueOrDefault(member.MemberId) ?? [];
        MemberReconciler.Step step = MemberReconciler.Next(group, member, group.TargetAssignmentEpoch, target, owned);
        if (!step.Changed
            || (step.Epoch == member.MemberEpoch && step.State == member.State
                && step.Assigned.SetEquals(member.AssignedPartitions) && step.PendingRevocation.SetEquals(member.PartitionsPendingRevocation)))
        {
            return;
        }

        bool startsRevoking = step.State == MemberReconciliationState.UnrevokedPartitions && member.State != MemberReconciliationState.UnrevokedPartitions;
        group.UpdateAssignment(member, step.Epoch, step.State, step.Assigned, step.PendingRevocation);
        if (startsRevoking)
        {
            // Kafka fences a member that takes longer than its rebalance timeout to revoke.
            member.RevocationDeadlineMs = now + Math.Max(member.RebalanceTimeoutMs, 0);
        }
        else if (step.State != MemberReconciliationState.UnrevokedPartitions)
        {
            member.RevocationDeadlineMs = -1;
        }

        records.Add((ConsumerGroupRecordCodec.CurrentAssignmentKey(groupId, member.MemberId), ConsumerGroupRecordCodec.CurrentAssignmentValue(member)));
    }

    private ConsumerGroupMember ReplaceStaticMember(string groupId, ConsumerGroup group, ConsumerGroupMember previous, string memberId, List<(byte[] Key, byte[]? Value)> records)
    {
        ConsumerGroupMember member = previous.CopyAs(memberId);
        HashSet<TopicIdPartition>? target = group.TargetAssignment.GetValueOrDefault(previous.MemberId);
        RemoveConsumerMemberRecords(groupId, previous.MemberId, records);
        group.Remove(previous.MemberId);
        group.Add(member);
        if (target is not null)
        {
            group.TargetAssignment[memberId] = target;
            records.Add((ConsumerGroupRecordCodec.TargetMemberKey(groupId, memberId), ConsumerGroupRecordCodec.TargetMemberValue(target)));
        }

        records.Add((ConsumerGroupRecordCodec.MemberKey(groupId, memberId), ConsumerGroupRecordCodec.MemberValue(member)));
        records.Add((ConsumerGroupRecordCodec.CurrentAssignmentKey(groupId, memberId), ConsumerGroupRecordCodec.CurrentAssignmentValue(member)));
        Info($"Static member with instance id {member.InstanceId} of group {groupId} replaced member {previous.MemberId} by {memberId}.");
        return member;
    }

    private static void RemoveConsumerMemberRecords(string groupId, string memberId, List<(byte[] Key, byte[]? Value)> records)
    {
        records.Add((ConsumerGroupRecordCodec.CurrentAssignmentKey(groupId, memberId), null));
        records.Add((ConsumerGroupRecordCodec.TargetMemberKey(groupId, memberId), null));
        records.Add((ConsumerGroupRecordCodec.MemberKey(groupId, memberId), null));
    }

    private ConsumerGroupHeartbeatResponseData LeaveConsumerGroupLocked(ClassicGroup? entry, ConsumerGroupHeartbeatRequestData request, List<(byte[] Key, byte[]? Value)> records)
    {
        ConsumerGroup? group = entry?.ConsumerProtocol;
        ConsumerGroupMember? member;
        if (request.MemberEpoch == ConsumerGroupMember.LeaveStaticEpoch)
        {
            member = group?.GetByInstanceId(request.InstanceId!);
            if (member is not null && member.MemberId != request.MemberId)
            {
                return HeartbeatError(ErrorCode.FencedInstanceId, $"Static member {request.MemberId} with instance id {request.InstanceId} is not the member that holds it.");
            }
        }
        else
        {
            member = group?.Get(request.MemberId);
        }

        if (group is null || member is null)
        {
            return HeartbeatError(ErrorCode.UnknownMemberId, $"Member {request.MemberId} is not a member of group {request.GroupId}.");
        }

        if (request.MemberEpoch == ConsumerGroupMember.LeaveStaticEpoch)
        {
            // Kept with its assignment until its session times out or its instance id rejoins.
            group.UpdateAssignment(member, ConsumerGroupMember.LeaveStaticEpoch, member.State, member.AssignedPartitions, member.PartitionsPendingRevocation);
            records.Add((ConsumerGroupRecordCodec.CurrentAssignmentKey(request.GroupId, member.MemberId), ConsumerGroupRecordCodec.CurrentAssignmentValue(member)));
            Info($"Static member {member.MemberId} with instance id {member.InstanceId} left group {request.GroupId} temporarily.");
        }
        else
        {
            Info($"Member {member.MemberId} left consumer group {request.GroupId}.");
            RemoveConsumerMemberLocked(entry!, group, member, records);
        }

        return new ConsumerGroupHeartbeatResponseData { MemberId = request.MemberId, MemberEpoch = request.MemberEpoch };
    }

    /// <summary>Removes a member (left, expired or fenced): its partitions become free and the group epoch moves on.</summary>
    private void RemoveConsumerMemberLocked(ClassicGroup entry, ConsumerGroup group, ConsumerGroupMember member, List<(byte[] Key, byte[]? Value)> records)
    {
        RemoveConsumerMemberRecords(entry.GroupId, member.MemberId, records);
        group.Remove(member.MemberId);
        group.GroupEpoch++;

        // The next heartbeat computes the new target from current metadata anyway: start the topic check afresh.
        group.SubscribedTopicPartitionCounts = null;
        group.CheckedMetadata = null;
        records.Add((ConsumerGroupRecordCodec.GroupKey(entry.GroupId), ConsumerGroupRecordCodec.GroupValue(group)));
        if (group.Members.Count == 0)
        {
            // Offsets of an empty group expire offsets.retention.minutes after this.
            entry.CurrentStateTimestampMs = NowMs;
        }
    }

    /// <summary>Session expiry and revocation (rebalance) timeouts of consumer-protocol members.</summary>
    private void CheckConsumerDeadlines(ClassicGroup entry, ConsumerGroup group, long now)
    {
        List<(ConsumerGroupMember Member, string Reason)>? expired = null;
        foreach (ConsumerGroupMember member in group.Members.Values)
        {
            if (now >= member.SessionDeadlineMs)
            {
                (expired ??= []).Add((member, "session timeout expired"));
            }
            else if (member.RevocationDeadlineMs >= 0 && now >= member.RevocationDeadlineMs && member.State == MemberReconciliationState.UnrevokedPartitions)
            {
                (expired ??= []).Add((member, "did not revoke its partitions within the rebalance timeout"));
            }
        }

        if (expired is null)
        {
            return;
        }

        var records = new List<(byte[] Key, byte[]? Value)>();
        foreach ((ConsumerGroupMember member, string reason) in expired)
        {
            Info($"Member {member.MemberId} in consumer group {entry.GroupId} is fenced: {reason}.");
            RemoveConsumerMemberLocked(entry, group, member, records);
        }

        GroupWrite write = AppendLocked(entry.Partition, records);
        if (write.Error != ErrorCode.None)
        {
            Warn($"Failed to write the removal of expired members of group {entry.GroupId}: {write.Error}");
        }
    }
}
