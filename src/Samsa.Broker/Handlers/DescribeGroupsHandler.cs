using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>DescribeGroups (15): state, protocol and members of each group (metadata and assignments only when Stable).</summary>
internal sealed class DescribeGroupsHandler(GroupCoordinator coordinator) : RequestHandler<DescribeGroupsRequestData, DescribeGroupsResponseData>
{
    /// <summary>
    /// Without ACLs every operation a group supports is allowed: READ (3), DELETE (6) and
    /// DESCRIBE (8), as bits of Kafka's AclOperation codes.
    /// </summary>
    private const int GroupOperations = (1 << 3) | (1 << 6) | (1 << 8);

    public override ApiKey ApiKey => ApiKey.DescribeGroups;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override ValueTask<DescribeGroupsResponseData?> HandleAsync(RequestContext context, DescribeGroupsRequestData request, CancellationToken cancellationToken)
    {
        var response = new DescribeGroupsResponseData();
        foreach (string groupId in request.Groups)
        {
            DescribeGroupsResponseData.DescribedGroup described = coordinator.DescribeGroup(groupId);
            described.AuthorizedOperations = request.IncludeAuthorizedOperations ? GroupOperations : int.MinValue;
            response.Groups.Add(described);
        }

        return new(response);
    }
}
