using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>ListGroups (16): the groups this broker coordinates, filtered by state (v4+) and type (v5+).</summary>
internal sealed class ListGroupsHandler(GroupCoordinator coordinator) : RequestHandler<ListGroupsRequestData, ListGroupsResponseData>
{
    public override ApiKey ApiKey => ApiKey.ListGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<ListGroupsResponseData?> HandleAsync(RequestContext context, ListGroupsRequestData request, CancellationToken cancellationToken)
    {
        (ErrorCode error, List<ListGroupsResponseData.ListedGroup> groups) = coordinator.ListGroups(request.StatesFilter, request.TypesFilter);
        return new(new ListGroupsResponseData { ErrorCode = (short)error, Groups = groups });
    }
}
