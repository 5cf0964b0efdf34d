using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>Heartbeat, LeaveGroup and member expiry: how members stay in a group and leave it.</summary>
internal sealed partial class GroupCoordinator
{
    public ErrorCode Heartbeat(string groupId, string memberId, string? groupInstanceId, int generationId)
    {
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(groupId, allowEmpty: false, out _);
            if (error != ErrorCode.None)
            {
                return error;
            }

            ClassicGroup? group = GetGroup(groupId);
            if (group is null)
            {
                return ErrorCode.UnknownMemberId;
            }

            if (group.State == GroupState.Dead)
            {
                return ErrorCode.CoordinatorNotAvailable;
            }

            if (group.IsStaticMemberFenced(groupInstanceId, memberId))
            {
                return ErrorCode.FencedInstanceId;
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

            switch (group.State)
            {
                case GroupState.Empty:
                    return ErrorCode.UnknownMemberId;
                case GroupState.PreparingRebalance:
                    ScheduleHeartbeat(member);
                    return ErrorCode.RebalanceInProgress;
                default:
                    // CompletingRebalance too: a member may heartbeat between its JoinGroup and SyncGroup.
                    ScheduleHeartbeat(member);
                    return ErrorCode.None;
            }
        }
    }

    /// <summary>LeaveGroup: returns the group-level error and one error per leaving member.</summary>
    public (ErrorCode Error, List<LeaveGroupResponseData.MemberResponse> Members) LeaveGroup(string groupId, IReadOnlyList<LeaveGroupRequestData.MemberIdentity> leaving)
    {
        var results = new List<LeaveGroupResponseData.MemberResponse>(leaving.Count);
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(groupId, allowEmpty: false, out _);
            if (error != ErrorCode.None)
            {
                return (error, results);
            }

            ClassicGroup? group = GetGroup(groupId);
            if (group is not null && group.State == GroupState.Dead)
            {
                return (ErrorCode.CoordinatorNotAvailable, results);
            }

            foreach (LeaveGroupRequestData.MemberIdentity identity in leaving)
            {
                ErrorCode memberError = group is null ? ErrorCode.UnknownMemberId : LeaveOne(group, identity);
                results.Add(new LeaveGroupResponseData.MemberResponse
                {
                    MemberId = identity.MemberId,
                    GroupInstanceId = identity.GroupInstanceId,
                    ErrorCode = (short)memberError,
                });
            }
        }

        return (ErrorCode.None, results);
    }

    private ErrorCode LeaveOne(ClassicGroup group, LeaveGroupRequestData.MemberIdentity identity)
    {
        string memberId = identity.MemberId;
        if (memberId.Length == 0)
        {
            // A static member may leave by instance id alone.
            if (identity.GroupInstanceId is null || !group.StaticMembers.TryGetValue(identity.GroupInstanceId, out string? current))
            {
                return ErrorCode.UnknownMemberId;
            }

            memberId = current;
        }
        else if (group.IsStaticMemberFenced(identity.GroupInstanceId, memberId))
        {
            return ErrorCode.FencedInstanceId;
        }

        if (group.PendingMembers.Remove(memberId))
        {
            TryCompleteJoin(group);
            return ErrorCode.None;
        }

        GroupMember? member = group.Get(memberId);
        if (member is null)
        {
            return ErrorCode.UnknownMemberId;
        }

        Info($"Member {memberId} in group {group.GroupId} has left, removing it from the group (reason: {identity.Reason ?? "not provided"})");
        RemoveMemberAndUpdateGroup(group, member, $"removing member {memberId} on LeaveGroup");
        return ErrorCode.None;
    }

    /// <summary>Removes a member (left, expired, straggler) and moves the group on: rebalance, or finish a waiting join.</summary>
    private void RemoveMemberAndUpdateGroup(ClassicGroup group, GroupMember member, string reason)
    {
        member.CompleteJoin(JoinError(string.Empty, ErrorCode.UnknownMemberId));
        member.CompleteSync(new SyncGroupResponseData { ErrorCode = (short)ErrorCode.UnknownMemberId });
        group.Remove(member.MemberId);
        switch (group.State)
        {
            case GroupState.Stable:
            case GroupState.CompletingRebalance:
                MaybePrepareRebalance(group, reason);
                break;
            case GroupState.PreparingRebalance:
                TryCompleteJoin(group);
                break;
            default:
                break;
        }
    }

    /// <summary>Expired sessions, pending member ids, the end of a join phase and members that never synced.</summary>
    private void CheckDeadlines(ClassicGroup group, long now)
    {
        if (group.PendingMembers.Count > 0)
        {
            List<string>? expired = null;
            foreach ((string memberId, long deadline) in group.PendingMembers)
            {
                if (now >= deadline)
                {
                    (expired ??= []).Add(memberId);
                }
            }

            if (expired is not null)
            {
                foreach (string memberId in expired)
                {
                    group.PendingMembers.Remove(memberId);
                }

                TryCompleteJoin(group);
            }
        }

        List<GroupMember>? failed = null;
        foreach (GroupMember member in group.Members.Values)
        {
            if (now >= member.HeartbeatDeadlineMs && !member.HasSatisfiedHeartbeat(now))
            {
                (failed ??= []).Add(member);
            }
        }

        if (failed is not null)
        {
            foreach (GroupMember member in failed)
            {
                Info($"Member {member.MemberId} in group {group.GroupId} has failed, removing it from the group");
                RemoveMemberAndUpdateGroup(group, member, $"removing member {member.MemberId} on heartbeat expiration");
            }
        }

        if (group.State == GroupState.PreparingRebalance && group.JoinDeadlineMs >= 0 && now >= group.JoinDeadlineMs)
        {
            OnJoinDeadline(group, now);
        }

        if (group.SyncDeadlineMs >= 0 && now >= group.SyncDeadlineMs)
        {
            group.SyncDeadlineMs = -1;
            if (group.State is GroupState.CompletingRebalance or GroupState.Stable && group.PendingSyncMembers.Count > 0)
            {
                foreach (string memberId in new List<string>(group.PendingSyncMembers))
                {
                    if (group.Get(memberId) is GroupMember member)
                    {
                        member.CompleteJoin(JoinError(string.Empty, ErrorCode.UnknownMemberId));
                        member.CompleteSync(new SyncGroupResponseData { ErrorCode = (short)ErrorCode.UnknownMemberId });
                        group.Remove(memberId);
                    }
                }

                PrepareRebalance(group, "removing members that did not sync within the rebalance timeout");
            }
        }
    }
}
