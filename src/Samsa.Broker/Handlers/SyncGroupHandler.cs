using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>SyncGroup (14): followers wait for the leader's assignment; everyone gets their part once it is stored.</summary>
internal sealed class SyncGroupHandler(GroupCoordinator coordinator) : RequestHandler<SyncGroupRequestData, SyncGroupResponseData>
{
    public override ApiKey ApiKey => ApiKey.SyncGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<SyncGroupResponseData?> HandleAsync(RequestContext context, SyncGroupRequestData request, CancellationToken cancellationToken) =>
        await coordinator.SyncGroupAsync(request).ConfigureAwait(false);
}
