using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>JoinGroup and the rebalance it drives (Kafka's handleJoinGroup and its delayed joins).</summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// Handles a JoinGroup. The state change happens before this returns (in request order);
    /// the returned task completes when the join phase ends, or at once for errors and
    /// MEMBER_ID_REQUIRED.
    /// </summary>
    /// <param name="requireKnownMemberId">v4+: a dynamic member without an id first gets MEMBER_ID_REQUIRED.</param>
    /// <param name="supportSkippingAssignment">v9+: a rejoining static leader may be told to skip the assignment.</param>
    public Task<JoinGroupResponseData> JoinGroupAsync(JoinGroupRequestData request, string clientId, string clientHost, bool requireKnownMemberId, bool supportSkippingAssignment)
    {
        var protocols = new List<(string Name, byte[] Metadata)>(request.Protocols.Count);
        foreach (JoinGroupRequestData.JoinGroupRequestProtocol protocol in request.Protocols)
        {
            // The request's frame buffer is recycled after the response: keep our own copy.
            protocols.Add((protocol.Name, protocol.Metadata.ToArray()));
        }

        var join = new JoinRequest(request.GroupId, request.MemberId, request.GroupInstanceId, clientId, clientHost, request.RebalanceTimeoutMs, request.SessionTimeoutMs, request.ProtocolType, protocols, supportSkippingAssignment);
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(join.GroupId, allowEmpty: false, out int partition);
            if (error != ErrorCode.None)
            {
                return Task.FromResult(JoinError(join.MemberId, error));
            }

            if (join.SessionTimeoutMs < _options.MinSessionTimeoutMs || join.SessionTimeoutMs > _options.MaxSessionTimeoutMs)
            {
                return Task.FromResult(JoinError(join.MemberId, ErrorCode.InvalidSessionTimeout));
            }

            bool isUnknownMember = join.MemberId.Length == 0;
            ClassicGroup? group = GetGroup(join.GroupId);
            if (group is null)
            {
                if (!isUnknownMember)
                {
                    return Task.FromResult(JoinError(join.MemberId, ErrorCode.UnknownMemberId));
                }

                group = new ClassicGroup(join.GroupId, partition, NowMs);
                _groups.Add(join.GroupId, group);
            }

            if (group.ConsumerProtocol is ConsumerGroup consumerGroup)
            {
                if (consumerGroup.Members.Count > 0)
                {
                    // No mixing: classic members cannot join a consumer-protocol group that has members.
                    return Task.FromResult(JoinError(join.MemberId, ErrorCode.InconsistentGroupProtocol));
                }

                // An empty consumer group becomes a classic group again, keeping its offsets.
                var tombstones = new List<(byte[] Key, byte[]? Value)>();
                AddGroupTombstones(group, tombstones);
                group.ConsumerProtocol = null;
                GroupWrite write = AppendLocked(group.Partition, tombstones);
                if (write.Error != ErrorCode.None)
                {
                    Warn($"Failed to write the conversion of group {group.GroupId} to the classic protocol: {write.Error}");
                }
            }

            if (!AcceptJoiningMember(group, join.MemberId))
            {
                return Task.FromResult(JoinError(isUnknownMember ? string.Empty : join.MemberId, ErrorCode.GroupMaxSizeReached));
            }

            Task<JoinGroupResponseData> result = isUnknownMember
                ? JoinNewMember(group, join, requireKnownMemberId)
                : JoinExistingMember(group, join);
            if (group.State == GroupState.PreparingRebalance)
            {
                TryCompleteJoin(group);
            }

            return result;
        }
    }

    private bool AcceptJoiningMember(ClassicGroup group, string memberId) => group.State switch
    {
        GroupState.Empty or GroupState.Dead => true,
        GroupState.PreparingRebalance =>
            (group.Get(memberId) is { IsAwaitingJoin: true }) || group.AwaitingJoinCount < _options.MaxSize,
        _ => group.Has(memberId) || group.Members.Count < _options.MaxSize,
    };

    private Task<JoinGroupResponseData> JoinNewMember(ClassicGroup group, JoinRequest join, bool requireKnownMemberId)
    {
        if (group.State == GroupState.Dead)
        {
            return Task.FromResult(JoinError(join.MemberId, ErrorCode.CoordinatorNotAvailable));
        }

        if (!group.SupportsProtocols(join.ProtocolType, join.Protocols))
        {
            return Task.FromResult(JoinError(join.MemberId, ErrorCode.InconsistentGroupProtocol));
        }

        string newMemberId = (join.GroupInstanceId ?? join.ClientId) + "-" + Guid.NewGuid().ToString();
        if (join.GroupInstanceId is string instanceId)
        {
            if (group.StaticMembers.TryGetValue(instanceId, out string? oldMemberId) && group.Has(oldMemberId))
            {
                return UpdateStaticMemberAndRebalance(group, oldMemberId, newMemberId, join);
            }

            return AddMemberAndRebalance(group, newMemberId, join);
        }

        if (requireKnownMemberId)
        {
            // KIP-394: the member id is handed out first, so a client that dies before rejoining
            // leaves only a pending id (expiring after its session timeout), not a member.
            group.PendingMembers[newMemberId] = NowMs + join.SessionTimeoutMs;
            return Task.FromResult(JoinError(newMemberId, ErrorCode.MemberIdRequired));
        }

        return AddMemberAndRebalance(group, newMemberId, join);
    }

    private Task<JoinGroupResponseData> JoinExistingMember(ClassicGroup group, JoinRequest join)
    {
        if (group.State == GroupState.Dead)
        {
            return Task.FromResult(JoinError(join.MemberId, ErrorCode.CoordinatorNotAvailable));
        }

        if (!group.SupportsProtocols(join.ProtocolType, join.Protocols))
        {
            return Task.FromResult(JoinError(join.MemberId, ErrorCode.InconsistentGroupProtocol));
        }

        if (group.PendingMembers.Remove(join.MemberId))
        {
            return AddMemberAndRebalance(group, join.MemberId, join);
        }

        if (group.IsStaticMemberFenced(join.GroupInstanceId, join.MemberId))
        {
            return Task.FromResult(JoinError(join.MemberId, ErrorCode.FencedInstanceId));
        }

        GroupMember? member = group.Get(join.MemberId);
        if (member is null)
        {
            return Task.FromResult(JoinError(join.MemberId, ErrorCode.UnknownMemberId));
        }

        switch (group.State)
        {
            case GroupState.PreparingRebalance:
                return UpdateMemberAndRebalance(group, member, join);
            case GroupState.CompletingRebalance:
                // A member that lost its JoinGroup response rejoins with the same protocols: answer again.
                return member.Matches(join.Protocols)
                    ? Task.FromResult(CurrentGenerationResponse(group, member.MemberId, skipAssignment: false))
                    : UpdateMemberAndRebalance(group, member, join);
            case GroupState.Stable:
                // A follower rejoining unchanged needs no rebalance; the leader or a changed member does.
                if (group.IsLeader(member.MemberId) || !member.Matches(join.Protocols))
                {
                    return UpdateMemberAndRebalance(group, member, join);
                }

                ScheduleHeartbeat(member);
                return Task.FromResult(CurrentGenerationResponse(group, member.MemberId, skipAssignment: false));
            default:
                return Task.FromResult(JoinError(join.MemberId, ErrorCode.UnknownMemberId));
        }
    }

    private Task<JoinGroupResponseData> AddMemberAndRebalance(ClassicGroup group, string memberId, JoinRequest join)
    {
        var member = new GroupMember(memberId, join.GroupInstanceId, join.ClientId, join.ClientHost, join.RebalanceTimeoutMs, join.SessionTimeoutMs, join.ProtocolType, join.Protocols)
        {
            IsNew = true,
            HeartbeatDeadlineMs = NowMs + _options.NewMemberJoinTimeoutMs,
        };

        // Only the very first rebalance of a group keeps extending its initial delay per joiner.
        if (group.State == GroupState.PreparingRebalance && group.GenerationId == 0)
        {
            group.NewMemberAdded = true;
        }

        var waiter = NewJoinWaiter();
        member.AwaitingJoin = waiter;
        group.Add(member);
        MaybePrepareRebalance(group, $"Adding new member {memberId} with group instance id {join.GroupInstanceId ?? "None"}");
        return waiter.Task;
    }

    private Task<JoinGroupResponseData> UpdateMemberAndRebalance(ClassicGroup group, GroupMember member, JoinRequest join)
    {
        member.Protocols = join.Protocols;
        member.RebalanceTimeoutMs = join.RebalanceTimeoutMs;
        member.SessionTimeoutMs = join.SessionTimeoutMs;
        // A member that sends a new JoinGroup while an older one is still parked: the old one is superseded.
        member.CompleteJoin(JoinError(member.MemberId, ErrorCode.RebalanceInProgress));
        var waiter = NewJoinWaiter();
        member.AwaitingJoin = waiter;
        MaybePrepareRebalance(group, $"Updating metadata for member {member.MemberId}");
        return waiter.Task;
    }

    /// <summary>
    /// A static member rejoined without its member id (a restart): it takes over the old id's
    /// place and the old id is fenced. In a Stable group whose chosen protocol stays the same it
    /// gets its assignment back without a rebalance (KIP-345).
    /// </summary>
    private Task<JoinGroupResponseData> UpdateStaticMemberAndRebalance(ClassicGroup group, string oldMemberId, string newMemberId, JoinRequest join)
    {
        GroupMember old = group.Get(oldMemberId)!;
        old.CompleteJoin(JoinError(oldMemberId, ErrorCode.FencedInstanceId));
        old.CompleteSync(new SyncGroupResponseData { ErrorCode = (short)ErrorCode.FencedInstanceId });
        GroupMember member = group.ReplaceStaticMember(oldMemberId, newMemberId);
        member.Protocols = join.Protocols;
        member.RebalanceTimeoutMs = join.RebalanceTimeoutMs;
        member.SessionTimeoutMs = join.SessionTimeoutMs;
        member.ClientId = join.ClientId;
        member.ClientHost = join.ClientHost;
        ScheduleHeartbeat(member);
        Info($"Static member with group instance id {join.GroupInstanceId} of group {group.GroupId} replaced member {oldMemberId} by {newMemberId}.");

        switch (group.State)
        {
            case GroupState.Stable when group.SelectProtocol() == group.ProtocolName:
                {
                    // Persist the new member id so a coordinator move keeps it; then answer with the current generation.
                    GroupWrite write = AppendLocked(group.Partition, [(GroupRecordCodec.GroupKey(group.GroupId), GroupRecordCodec.GroupValue(group, null))]);
                    bool skip = join.SupportSkippingAssignment && group.IsLeader(newMemberId);
                    JoinGroupResponseData response = CurrentGenerationResponse(group, newMemberId, skip);
                    return FinishStaticRejoinAsync(group, write, response);
                }

            case GroupState.Stable:
                {
                    var waiter = NewJoinWaiter();
                    member.AwaitingJoin = waiter;
                    MaybePrepareRebalance(group, $"Group's selected protocol will change because static member {newMemberId} with instance id {join.GroupInstanceId} joined with change of protocol");
                    return waiter.Task;
                }

            case GroupState.CompletingRebalance:
                {
                    // The leader may already be assigning to the old id: start over so the new id gets an assignment.
                    var waiter = NewJoinWaiter();
                    member.AwaitingJoin = waiter;
                    PrepareRebalance(group, $"Updating metadata for static member {newMemberId} with instance id {join.GroupInstanceId}");
                    return waiter.Task;
                }

            default:
                {
                    var waiter = NewJoinWaiter();
                    member.AwaitingJoin = waiter;
                    return waiter.Task;
                }
        }
    }

    private async Task<JoinGroupResponseData> FinishStaticRejoinAsync(ClassicGroup group, GroupWrite write, JoinGroupResponseData response)
    {
        ErrorCode error = GroupStoreError(await WaitForWriteAsync(write).ConfigureAwait(false));
        if (error == ErrorCode.None)
        {
            return response;
        }

        lock (_lock)
        {
            MaybePrepareRebalance(group, $"Failed to persist static member {response.MemberId}: {error}");
        }

        return JoinError(response.MemberId, error);
    }

    private static TaskCompletionSource<JoinGroupResponseData> NewJoinWaiter() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static JoinGroupResponseData CurrentGenerationResponse(ClassicGroup group, string memberId, bool skipAssignment) => new()
    {
        ErrorCode = (short)ErrorCode.None,
        GenerationId = group.GenerationId,
        ProtocolType = group.ProtocolType,
        ProtocolName = group.ProtocolName,
        Leader = group.LeaderId ?? string.Empty,
        SkipAssignment = skipAssignment,
        MemberId = memberId,
        Members = group.IsLeader(memberId) ? group.CurrentMemberMetadata() : [],
    };

    private void MaybePrepareRebalance(ClassicGroup group, string reason)
    {
        if (group.State is GroupState.Stable or GroupState.CompletingRebalance or GroupState.Empty)
        {
            PrepareRebalance(group, reason);
        }
    }

    private void PrepareRebalance(ClassicGroup group, string reason)
    {
        if (group.State == GroupState.CompletingRebalance)
        {
            ResetAndPropagateAssignmentError(group, ErrorCode.RebalanceInProgress);
        }

        group.PendingSyncMembers.Clear();
        group.SyncDeadlineMs = -1;
        long now = NowMs;
        if (group.State == GroupState.Empty)
        {
            // group.initial.rebalance.delay.ms: let more members of a starting group arrive before the first generation.
            int delay = _options.InitialRebalanceDelayMs;
            group.IsInitialJoinDelay = true;
            group.InitialJoinRemainingMs = Math.Max(group.RebalanceTimeoutMs - delay, 0);
            group.JoinDeadlineMs = now + delay;
        }
        else
        {
            group.IsInitialJoinDelay = false;
            group.JoinDeadlineMs = now + group.RebalanceTimeoutMs;
        }

        group.TransitionTo(GroupState.PreparingRebalance, now);
        Info($"Preparing to rebalance group {group.GroupId} in state PreparingRebalance with old generation {group.GenerationId} (__consumer_offsets-{group.Partition}) (reason: {reason})");
        TryCompleteJoin(group);
    }

    /// <summary>Ends the join phase early once every known member rejoined (never during the initial delay).</summary>
    private void TryCompleteJoin(ClassicGroup group)
    {
        if (group.State == GroupState.PreparingRebalance && !group.IsInitialJoinDelay && group.HasAllMembersJoined)
        {
            CompleteJoin(group);
        }
    }

    /// <summary>The join phase's deadline passed: extend the initial delay for late joiners, or end the phase.</summary>
    private void OnJoinDeadline(ClassicGroup group, long now)
    {
        if (group.IsInitialJoinDelay && group.NewMemberAdded && group.InitialJoinRemainingMs > 0)
        {
            group.NewMemberAdded = false;
            long delay = Math.Min(_options.InitialRebalanceDelayMs, group.InitialJoinRemainingMs);
            group.InitialJoinRemainingMs = Math.Max(group.InitialJoinRemainingMs - delay, 0);
            group.JoinDeadlineMs = now + delay;
            return;
        }

        CompleteJoin(group);
    }

    /// <summary>
    /// Ends the join phase (Kafka's onCompleteJoin): dynamic members that did not rejoin are
    /// removed, the next generation starts, and every parked JoinGroup is answered (the leader
    /// with the members' metadata).
    /// </summary>
    private void CompleteJoin(ClassicGroup group)
    {
        long now = NowMs;
        group.JoinDeadlineMs = -1;
        group.IsInitialJoinDelay = false;
        List<GroupMember>? stragglers = null;
        foreach (GroupMember member in group.Members.Values)
        {
            if (!member.IsAwaitingJoin && !member.IsStatic)
            {
                (stragglers ??= []).Add(member);
            }
        }

        if (stragglers is not null)
        {
            foreach (GroupMember member in stragglers)
            {
                member.CompleteSync(new SyncGroupResponseData { ErrorCode = (short)ErrorCode.UnknownMemberId });
                group.Remove(member.MemberId);
            }

            Info($"Group {group.GroupId} removed {stragglers.Count} dynamic member(s) that did not rejoin.");
        }

        if (group.State == GroupState.Dead)
        {
            return;
        }

        if (!group.MaybeElectNewJoinedLeader() && group.Members.Count > 0)
        {
            // Only static members that have not rejoined remain: wait another rebalance timeout
            // for them (or for their sessions to expire).
            group.JoinDeadlineMs = now + group.RebalanceTimeoutMs;
            Warn($"Group {group.GroupId} could not complete rebalance because no members rejoined");
            return;
        }

        InitNextGeneration(group, now);
        if (group.State == GroupState.Empty)
        {
            Info($"Group {group.GroupId} with generation {group.GenerationId} is now empty (__consumer_offsets-{group.Partition})");
            GroupWrite write = AppendLocked(group.Partition, [(GroupRecordCodec.GroupKey(group.GroupId), GroupRecordCodec.GroupValue(group, null))]);
            if (write.Error != ErrorCode.None)
            {
                Warn($"Failed to write empty metadata for group {group.GroupId}: {write.Error}");
            }

            return;
        }

        Info($"Stabilized group {group.GroupId} generation {group.GenerationId} (__consumer_offsets-{group.Partition}) with {group.Members.Count} members");
        foreach (GroupMember member in group.Members.Values)
        {
            member.CompleteJoin(CurrentGenerationResponse(group, member.MemberId, skipAssignment: false));
            member.IsNew = false;
            ScheduleHeartbeat(member);
            group.PendingSyncMembers.Add(member.MemberId);
        }

        group.SyncDeadlineMs = now + group.RebalanceTimeoutMs;
    }

    private static void InitNextGeneration(ClassicGroup group, long now)
    {
        group.GenerationId++;
        if (group.Members.Count > 0)
        {
            group.ProtocolName = group.SelectProtocol();
            group.SubscribedTopics = ConsumerSubscriptions.TopicsOf(group);
            group.TransitionTo(GroupState.CompletingRebalance, now);
        }
        else
        {
            group.ProtocolName = null;
            group.SubscribedTopics = null;
            group.TransitionTo(GroupState.Empty, now);
        }
    }

    private void ScheduleHeartbeat(GroupMember member) => member.HeartbeatDeadlineMs = NowMs + member.SessionTimeoutMs;

    private readonly record struct JoinRequest(
        string GroupId,
        string MemberId,
        string? GroupInstanceId,
        string ClientId,
        string ClientHost,
        int RebalanceTimeoutMs,
        int SessionTimeoutMs,
        string ProtocolType,
        List<(string Name, byte[] Metadata)> Protocols,
        bool SupportSkippingAssignment);
}
