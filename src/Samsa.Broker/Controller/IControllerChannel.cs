using Samsa.Broker.ZNodes;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// How the controller tells brokers what to do: the inter-broker control requests. Requests for
/// the controller's own broker are applied in-process before the call returns; requests for
/// another broker are queued and sent in order, retried until that broker leaves the live set, so
/// a slow or dead broker never stalls the controller loop (as Kafka's ControllerChannelManager).
/// Called only from the controller loop.
/// </summary>
internal interface IControllerChannel
{
    /// <summary>
    /// The brokers requests may go to: senders start for new brokers (and restart for a broker that
    /// registered again, with a new broker epoch); queues of brokers no longer listed are dropped.
    /// </summary>
    void SetLiveBrokers(IReadOnlyCollection<BrokerRegistration> brokers);

    /// <summary>
    /// Raised with every answer to a LeaderAndIsr that reached its broker, on whatever thread
    /// received it: the controller learns from the partition errors which replicas are offline
    /// (handlers must only queue).
    /// </summary>
    event Action<LeaderAndIsrAnswer>? LeaderAndIsrAnswered;

    ValueTask SendLeaderAndIsrAsync(int brokerId, LeaderAndIsrRequestData request, CancellationToken cancellationToken);

    ValueTask SendUpdateMetadataAsync(int brokerId, UpdateMetadataRequestData request, CancellationToken cancellationToken);

    ValueTask SendStopReplicaAsync(int brokerId, StopReplicaRequestData request, CancellationToken cancellationToken);
}
