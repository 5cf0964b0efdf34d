using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// How the controller tells brokers what to do: the inter-broker control requests. In standalone
/// mode this delivers in-process to the one broker; in a cluster it sends over the network.
/// Delivery to a broker is in order; a failed delivery is retried by the channel until the broker
/// leaves the live set.
/// </summary>
internal interface IControllerChannel
{
    ValueTask<LeaderAndIsrResponseData> SendLeaderAndIsrAsync(int brokerId, LeaderAndIsrRequestData request, CancellationToken cancellationToken);

    ValueTask<UpdateMetadataResponseData> SendUpdateMetadataAsync(int brokerId, UpdateMetadataRequestData request, CancellationToken cancellationToken);

    ValueTask<StopReplicaResponseData> SendStopReplicaAsync(int brokerId, StopReplicaRequestData request, CancellationToken cancellationToken);
}
