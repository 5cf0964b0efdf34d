using Samsa.Broker.Metadata;
using Samsa.Protocol;

namespace Samsa.Broker.Groups;

/// <summary>FindCoordinator's answer for one key: the coordinator's endpoint, or an error.</summary>
internal readonly record struct CoordinatorLookup(ErrorCode Error, int NodeId, BrokerEndpoint? Endpoint)
{
    public static CoordinatorLookup Failed(ErrorCode error) => new(error, -1, null);
}
