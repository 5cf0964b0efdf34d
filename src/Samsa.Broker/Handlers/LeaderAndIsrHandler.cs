using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// LeaderAndIsr (4, inter-broker): the controller tells this broker which partitions it leads or
/// follows. Versions 5+ only: the per-topic layout with topic ids, which is what our controller
/// sends (brokers of one cluster only talk to each other).
/// </summary>
internal sealed class LeaderAndIsrHandler(ControlRequestReceiver receiver) : RequestHandler<LeaderAndIsrRequestData, LeaderAndIsrResponseData>
{
    public override ApiKey ApiKey => ApiKey.LeaderAndIsr;

    public override short MinVersion => 5;

    public override short MaxVersion => 7;

    protected override async ValueTask<LeaderAndIsrResponseData?> HandleAsync(RequestContext context, LeaderAndIsrRequestData request, CancellationToken cancellationToken) =>
        await receiver.ApplyLeaderAndIsrAsync(request, cancellationToken).ConfigureAwait(false);
}
