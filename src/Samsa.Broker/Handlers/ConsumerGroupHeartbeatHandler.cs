using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>ConsumerGroupHeartbeat (68): join, heartbeat, resubscribe and leave for KIP-848 consumer groups.</summary>
internal sealed class ConsumerGroupHeartbeatHandler(GroupCoordinator coordinator) : RequestHandler<ConsumerGroupHeartbeatRequestData, ConsumerGroupHeartbeatResponseData>
{
    public override ApiKey ApiKey => ApiKey.ConsumerGroupHeartbeat;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<ConsumerGroupHeartbeatResponseData?> HandleAsync(RequestContext context, ConsumerGroupHeartbeatRequestData request, CancellationToken cancellationToken) =>
        await coordinator.ConsumerGroupHeartbeatAsync(request, context.ClientId, JoinGroupHandler.ClientHost(context.ClientAddress), context.ApiVersion).ConfigureAwait(false);
}
