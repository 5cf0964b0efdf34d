using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>LeaveGroup (13): one member (v0-2) or a batch of members, by member id or instance id (v3+).</summary>
internal sealed class LeaveGroupHandler(GroupCoordinator coordinator) : RequestHandler<LeaveGroupRequestData, LeaveGroupResponseData>
{
    public override ApiKey ApiKey => ApiKey.LeaveGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<LeaveGroupResponseData?> HandleAsync(RequestContext context, LeaveGroupRequestData request, CancellationToken cancellationToken)
    {
        IReadOnlyList<LeaveGroupRequestData.MemberIdentity> leaving = context.ApiVersion < 3
            ? [new LeaveGroupRequestData.MemberIdentity { MemberId = request.MemberId }]
            : request.Members;
        (ErrorCode error, List<LeaveGroupResponseData.MemberResponse> members) = coordinator.LeaveGroup(request.GroupId, leaving);
        var response = new LeaveGroupResponseData { ErrorCode = (short)error, Members = members };
        if (context.ApiVersion < 3 && error == ErrorCode.None && members.Count == 1)
        {
            // Before batching, the one member's outcome is the response's error.
            response.ErrorCode = members[0].ErrorCode;
        }

        return new(response);
    }
}
