using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>Heartbeat (12): keeps a member's session alive and tells it when to rejoin (REBALANCE_IN_PROGRESS).</summary>
internal sealed class HeartbeatHandler(GroupCoordinator coordinator) : RequestHandler<HeartbeatRequestData, HeartbeatResponseData>
{
    public override ApiKey ApiKey => ApiKey.Heartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<HeartbeatResponseData?> HandleAsync(RequestContext context, HeartbeatRequestData request, CancellationToken cancellationToken) =>
        new(new HeartbeatResponseData
        {
            ErrorCode = (short)coordinator.Heartbeat(request.GroupId, request.MemberId, request.GroupInstanceId, request.GenerationId),
        });
}
