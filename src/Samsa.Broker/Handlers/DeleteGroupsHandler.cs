using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>DeleteGroups (42): removes groups without members, with their committed offsets.</summary>
internal sealed class DeleteGroupsHandler(GroupCoordinator coordinator) : RequestHandler<DeleteGroupsRequestData, DeleteGroupsResponseData>
{
    public override ApiKey ApiKey => ApiKey.DeleteGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<DeleteGroupsResponseData?> HandleAsync(RequestContext context, DeleteGroupsRequestData request, CancellationToken cancellationToken)
    {
        var response = new DeleteGroupsResponseData();
        List<(string GroupId, ErrorCode Error)> results = await coordinator.DeleteGroupsAsync(request.GroupsNames).ConfigureAwait(false);
        foreach ((string groupId, ErrorCode error) in results)
        {
            response.Results.Add(new DeleteGroupsResponseData.DeletableGroupResult { GroupId = groupId, ErrorCode = (short)error });
        }

        return response;
    }
}
