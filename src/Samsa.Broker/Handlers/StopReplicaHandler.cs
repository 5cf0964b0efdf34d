using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// StopReplica (5, inter-broker): the controller tells this broker to stop hosting partitions, and
/// with DeletePartition to remove their logs. Versions 3+ (per-partition state).
/// </summary>
internal sealed class StopReplicaHandler(ControlRequestReceiver receiver) : RequestHandler<StopReplicaRequestData, StopReplicaResponseData>
{
    public override ApiKey ApiKey => ApiKey.StopReplica;

    public override short MinVersion => 3;

    public override short MaxVersion => 4;

    protected override async ValueTask<StopReplicaResponseData?> HandleAsync(RequestContext context, StopReplicaRequestData request, CancellationToken cancellationToken) =>
        await receiver.ApplyStopReplicaAsync(request, cancellationToken).ConfigureAwait(false);
}
