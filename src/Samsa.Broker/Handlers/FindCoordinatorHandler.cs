using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// FindCoordinator (10): the group coordinator's endpoint on the request's listener, one key
/// (v0-3) or a batch of keys (v4+). Transaction coordinators (key type 1) do not exist yet.
/// </summary>
internal sealed class FindCoordinatorHandler(GroupCoordinator coordinator) : RequestHandler<FindCoordinatorRequestData, FindCoordinatorResponseData>
{
    private const sbyte GroupKeyType = 0;
    private const sbyte TransactionKeyType = 1;

    public override ApiKey ApiKey => ApiKey.FindCoordinator;

    public override short MinVersion => 0;

    public override short MaxVersion => 6;

    protected override async ValueTask<FindCoordinatorResponseData?> HandleAsync(RequestContext context, FindCoordinatorRequestData request, CancellationToken cancellationToken)
    {
        var response = new FindCoordinatorResponseData();
        if (context.ApiVersion < 4)
        {
            CoordinatorLookup lookup = await LookupAsync(request.Key, request.KeyType, context.ListenerName, cancellationToken).ConfigureAwait(false);
            response.ErrorCode = (short)lookup.Error;
            response.ErrorMessage = lookup.Error == ErrorCode.None ? null : lookup.Error.DefaultMessage();
            response.NodeId = lookup.NodeId;
            response.Host = lookup.Endpoint?.Host ?? string.Empty;
            response.Port = lookup.Endpoint?.Port ?? -1;
            return response;
        }

        foreach (string key in request.CoordinatorKeys)
        {
            CoordinatorLookup lookup = await LookupAsync(key, request.KeyType, context.ListenerName, cancellationToken).ConfigureAwait(false);
            response.Coordinators.Add(new FindCoordinatorResponseData.Coordinator
            {
                Key = key,
                ErrorCode = (short)lookup.Error,
                ErrorMessage = lookup.Error == ErrorCode.None ? null : lookup.Error.DefaultMessage(),
                NodeId = lookup.NodeId,
                Host = lookup.Endpoint?.Host ?? string.Empty,
                Port = lookup.Endpoint?.Port ?? -1,
            });
        }

        return response;
    }

    private Task<CoordinatorLookup> LookupAsync(string key, sbyte keyType, string listener, CancellationToken cancellationToken) => keyType switch
    {
        GroupKeyType => coordinator.FindCoordinatorAsync(key, listener, cancellationToken),
        TransactionKeyType => Task.FromResult(CoordinatorLookup.Failed(ErrorCode.CoordinatorNotAvailable)),
        _ => Task.FromResult(CoordinatorLookup.Failed(ErrorCode.InvalidRequest)),
    };
}
