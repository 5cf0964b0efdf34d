using Samsa.Broker.Metadata;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// DescribeCluster (60): the cluster id, the controller and the live brokers as reachable through
/// the listener the request came in on, all from the metadata cache. A broker only answers for
/// broker endpoints (EndpointType 1); asking it for controllers is an error, as in Kafka.
/// </summary>
internal sealed class DescribeClusterHandler(MetadataCache metadata) : RequestHandler<DescribeClusterRequestData, DescribeClusterResponseData>
{
    /// <summary>Kafka's "authorized operations not requested" marker (Integer.MIN_VALUE).</summary>
    internal const int AuthorizedOperationsOmitted = int.MinValue;

    /// <summary>
    /// Every operation on the CLUSTER resource, as bits of Kafka's AclOperation codes: CREATE (5),
    /// ALTER (7), DESCRIBE (8), CLUSTER_ACTION (9), DESCRIBE_CONFIGS (10), ALTER_CONFIGS (11),
    /// IDEMPOTENT_WRITE (12). Without an authorizer every client may do all of them.
    /// </summary>
    internal const int AllClusterOperations = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

    private const sbyte UnknownEndpointType = 0;
    private const sbyte BrokerEndpointType = 1;

    public override ApiKey ApiKey => ApiKey.DescribeCluster;

    public override short MinVersion => 0;

    // v2 adds IncludeFencedBrokers to the request, which our schema does not carry yet.
    public override short MaxVersion => 1;

    protected override ValueTask<DescribeClusterResponseData?> HandleAsync(RequestContext context, DescribeClusterRequestData request, CancellationToken cancellationToken)
    {
        var response = new DescribeClusterResponseData { EndpointType = BrokerEndpointType, ClusterId = metadata.ClusterId };
        if (request.EndpointType != BrokerEndpointType)
        {
            bool unknown = request.EndpointType == UnknownEndpointType || request.EndpointType > 2;
            response.ErrorCode = (short)(context.ApiVersion == 0 ? ErrorCode.InvalidRequest
                : unknown ? ErrorCode.UnsupportedEndpointType
                : ErrorCode.MismatchedEndpointType);
            response.ErrorMessage = unknown
                ? $"Unsupported endpoint type {request.EndpointType}"
                : "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER";
            return new ValueTask<DescribeClusterResponseData?>(response);
        }

        MetadataCache.Snapshot snapshot = metadata.Current;
        response.ControllerId = snapshot.ControllerId;
        foreach (BrokerNode broker in snapshot.Brokers.Values)
        {
            // Like Metadata: a broker without an endpoint for this listener is not reachable through it.
            if (broker.EndpointFor(context.ListenerName) is not BrokerEndpoint endpoint)
            {
                continue;
            }

            response.Brokers.Add(new DescribeClusterResponseData.DescribeClusterBroker
            {
                BrokerId = broker.Id,
                Host = endpoint.Host,
                Port = endpoint.Port,
                Rack = broker.Rack,
            });
        }

        response.Brokers.Sort(static (a, b) => a.BrokerId.CompareTo(b.BrokerId));
        response.ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? AllClusterOperations : AuthorizedOperationsOmitted;
        return new ValueTask<DescribeClusterResponseData?>(response);
    }
}
