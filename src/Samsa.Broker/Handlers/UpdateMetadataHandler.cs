using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// UpdateMetadata (6, inter-broker): the controller pushes live brokers and partition states into
/// this broker's metadata cache. Versions 5+ (per-topic layout; 7+ carry topic ids).
/// </summary>
internal sealed class UpdateMetadataHandler(ControlRequestReceiver receiver) : RequestHandler<UpdateMetadataRequestData, UpdateMetadataResponseData>
{
    public override ApiKey ApiKey => ApiKey.UpdateMetadata;

    public override short MinVersion => 5;

    public override short MaxVersion => 8;

    protected override async ValueTask<UpdateMetadataResponseData?> HandleAsync(RequestContext context, UpdateMetadataRequestData request, CancellationToken cancellationToken) =>
        await receiver.ApplyUpdateMetadataAsync(request, cancellationToken).ConfigureAwait(false);
}
