using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>ConsumerGroupDescribe (69): state, epochs, assignor and members (current and target assignments) of consumer groups.</summary>
internal sealed class ConsumerGroupDescribeHandler(GroupCoordinator coordinator) : RequestHandler<ConsumerGroupDescribeRequestData, ConsumerGroupDescribeResponseData>
{
    /// <summary>Without ACLs every operation a group supports is allowed: READ (3), DELETE (6) and DESCRIBE (8), as bits of Kafka's AclOperation codes.</summary>
    private const int GroupOperations = (1 << 3) | (1 << 6) | (1 << 8);

    public override ApiKey ApiKey => ApiKey.ConsumerGroupDescribe;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override ValueTask<ConsumerGroupDescribeResponseData?> HandleAsync(RequestContext context, ConsumerGroupDescribeRequestData request, CancellationToken cancellationToken)
    {
        var response = new ConsumerGroupDescribeResponseData();
        foreach (string groupId in request.GroupIds)
        {
            ConsumerGroupDescribeResponseData.DescribedGroup described = coordinator.DescribeConsumerGroup(groupId);
            described.AuthorizedOperations = request.IncludeAuthorizedOperations ? GroupOperations : int.MinValue;
            response.Groups.Add(described);
        }

        return new(response);
    }
}
