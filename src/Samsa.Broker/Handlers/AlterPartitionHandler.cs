using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// AlterPartition (56, inter-broker, answered by the controller): a partition leader proposes a new
/// ISR. The controller answers NOT_CONTROLLER when it is not (any more) the controller, and the
/// leader then asks the broker the metadata names.
/// </summary>
internal sealed class AlterPartitionHandler(KafkaController controller) : RequestHandler<AlterPartitionRequestData, AlterPartitionResponseData>
{
    public override ApiKey ApiKey => ApiKey.AlterPartition;

    public override short MinVersion => 0;

    public override short MaxVersion => 3;

    protected override async ValueTask<AlterPartitionResponseData?> HandleAsync(RequestContext context, AlterPartitionRequestData request, CancellationToken cancellationToken) =>
        await controller.AlterPartitionAsync(request, cancellationToken).ConfigureAwait(false);
}
