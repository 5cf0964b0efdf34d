using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>SyncGroup: followers wait for the leader's assignment, which is persisted before anyone is answered.</summary>
internal sealed partial class GroupCoordinator
{
    public Task<SyncGroupResponseData> SyncGroupAsync(SyncGroupRequestData request)
    {
        lock (_lock)
        {
            ErrorCode error = CheckCoordinator(request.GroupId, allowEmpty: false, out _);
            if (error != ErrorCode.None)
            {
                return SyncError(error);
            }

            ClassicGroup? group = GetGroup(request.GroupId);
            if (group is null)
            {
                return SyncError(ErrorCode.UnknownMemberId);
            }

            if (group.State == GroupState.Dead)
            {
                return SyncError(ErrorCode.CoordinatorNotAvailable);
            }

            if (group.IsStaticMemberFenced(request.GroupInstanceId, request.MemberId))
            {
                return SyncError(ErrorCode.FencedInstanceId);
            }

            GroupMember? member = group.Get(request.MemberId);
            if (member is null)
            {
                return SyncError(ErrorCode.UnknownMemberId);
            }

            if (request.GenerationId != group.GenerationId)
            {
                return SyncError(ErrorCode.IllegalGeneration);
            }

            if ((request.ProtocolType is not null && request.ProtocolType != group.ProtocolType)
                || (request.ProtocolName is not null && request.ProtocolName != group.ProtocolName))
            {
                return SyncError(ErrorCode.InconsistentGroupProtocol);
            }

            switch (group.State)
            {
                case GroupState.Empty:
                    return SyncError(ErrorCode.UnknownMemberId);
                case GroupState.PreparingRebalance:
                    return SyncError(ErrorCode.RebalanceInProgress);
                case GroupState.Stable:
                    group.PendingSyncMembers.Remove(member.MemberId);
                    ScheduleHeartbeat(member);
                    return Task.FromResult(SyncSuccess(group, member.Assignment));
                default:
                    break;
            }

            // CompletingRebalance: park until the leader's assignment is stored.
            var waiter = new TaskCompletionSource<SyncGroupResponseData>(TaskCreationOptions.RunContinuationsAsynchronously);
            member.CompleteSync(new SyncGroupResponseData { ErrorCode = (short)ErrorCode.RebalanceInProgress });
            member.AwaitingSync = waiter;
            group.PendingSyncMembers.Remove(member.MemberId);
            if (group.PendingSyncMembers.Count == 0)
            {
                group.SyncDeadlineMs = -1;
            }

            if (!group.IsLeader(member.MemberId))
            {
                return waiter.Task;
            }

            var assignment = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (SyncGroupRequestData.SyncGroupRequestAssignment entry in request.Assignments)
            {
                if (group.Has(entry.MemberId))
                {
                    assignment[entry.MemberId] = entry.Assignment.ToArray();
                }
            }

            foreach (string memberId in group.Members.Keys)
            {
                assignment.TryAdd(memberId, []);
            }

            GroupWrite write = AppendLocked(group.Partition, [(GroupRecordCodec.GroupKey(group.GroupId), GroupRecordCodec.GroupValue(group, assignment))]);
            return CompleteLeaderSyncAsync(group, group.GenerationId, assignment, write, waiter);
        }
    }

    /// <summary>
    /// After the leader's assignment is replicated: hand every member its part and become Stable;
    /// on a failed write, every waiting member gets the error and the group rebalances.
    /// </summary>
    private async Task<SyncGroupResponseData> CompleteLeaderSyncAsync(ClassicGroup group, int generationId, Dictionary<string, byte[]> assignment, GroupWrite write, TaskCompletionSource<SyncGroupResponseData> waiter)
    {
        ErrorCode error = GroupStoreError(await WaitForWriteAsync(write).ConfigureAwait(false));
        lock (_lock)
        {
            if (group.State == GroupState.CompletingRebalance && group.GenerationId == generationId && GetGroup(group.GroupId) == group)
            {
                if (error != ErrorCode.None)
                {
                    Warn($"Failed to store the assignment of group {group.GroupId} generation {generationId}: {error}");
                    ResetAndPropagateAssignmentError(group, error);
                    MaybePrepareRebalance(group, $"Error {error} when storing group assignment during SyncGroup");
                }
                else
                {
                    foreach (GroupMember member in group.Members.Values)
                    {
                        member.Assignment = assignment.GetValueOrDefault(member.MemberId) ?? [];
                    }

                    PropagateAssignment(group, ErrorCode.None);
                    group.TransitionTo(GroupState.Stable, NowMs);
                }
            }

            // Whatever happened meanwhile answered the leader already (rebalance, unload); this only covers a race.
            waiter.TrySetResult(new SyncGroupResponseData { ErrorCode = (short)ErrorCode.RebalanceInProgress });
        }

        return await waiter.Task.ConfigureAwait(false);
    }

    private void ResetAndPropagateAssignmentError(ClassicGroup group, ErrorCode error)
    {
        foreach (GroupMember member in group.Members.Values)
        {
            member.Assignment = [];
        }

        PropagateAssignment(group, error);
    }

    private void PropagateAssignment(ClassicGroup group, ErrorCode error)
    {
        foreach (GroupMember member in group.Members.Values)
        {
            if (member.IsAwaitingSync)
            {
                member.CompleteSync(error == ErrorCode.None ? SyncSuccess(group, member.Assignment) : new SyncGroupResponseData { ErrorCode = (short)error });
                ScheduleHeartbeat(member);
            }
        }
    }

    private static SyncGroupResponseData SyncSuccess(ClassicGroup group, byte[] assignment) => new()
    {
        ProtocolType = group.ProtocolType,
        ProtocolName = group.ProtocolName,
        Assignment = assignment,
    };

    private static Task<SyncGroupResponseData> SyncError(ErrorCode error) =>
        Task.FromResult(new SyncGroupResponseData { ErrorCode = (short)error });
}
