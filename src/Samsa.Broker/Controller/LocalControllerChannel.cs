using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.ZNodes;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// Standalone mode's controller channel: the controller and its one broker share a process, so
/// control requests are applied directly — the same messages a cluster sends over the network,
/// minus the socket.
/// </summary>
internal sealed class LocalControllerChannel(int brokerId, ControlRequestReceiver receiver) : IControllerChannel
{
    public LocalControllerChannel(int brokerId, LocalPartitions partitions, MetadataCache metadata, TopicConfigWatcher? topicConfigs = null)
        : this(brokerId, new ControlRequestReceiver(partitions, metadata, topicConfigs))
    {
    }

    /// <summary>
    /// Never raised: a standalone broker holds the only replica of each partition, so an offline one
    /// has no other replica to lead; its own Metadata answers already show it offline.
    /// </summary>
    public event Action<LeaderAndIsrAnswer>? LeaderAndIsrAnswered
    {
        add { }
        remove { }
    }

    public void SetLiveBrokers(IReadOnlyCollection<BrokerRegistration> brokers)
    {
    }

    public async ValueTask SendLeaderAndIsrAsync(int targetBrokerId, LeaderAndIsrRequestData request, CancellationToken cancellationToken)
    {
        CheckTarget(targetBrokerId);
        await receiver.ApplyLeaderAndIsrAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask SendUpdateMetadataAsync(int targetBrokerId, UpdateMetadataRequestData request, CancellationToken cancellationToken)
    {
        CheckTarget(targetBrokerId);
        await receiver.ApplyUpdateMetadataAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask SendStopReplicaAsync(int targetBrokerId, StopReplicaRequestData request, CancellationToken cancellationToken)
    {
        CheckTarget(targetBrokerId);
        await receiver.ApplyStopReplicaAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Standalone mode has one broker; a request for another is a bug in the controller.</summary>
    private void CheckTarget(int targetBrokerId)
    {
        if (targetBrokerId != brokerId)
        {
            throw new InvalidOperationException("Standalone mode has a single broker.");
        }
    }
}
