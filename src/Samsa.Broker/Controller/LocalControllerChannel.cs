using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// Standalone mode's controller channel: the controller and its one broker share a process, so
/// control requests are applied directly — the same messages a cluster sends over the network,
/// minus the socket.
/// </summary>
internal sealed class LocalControllerChannel(int brokerId, LocalPartitions partitions, MetadataCache metadata, TopicConfigWatcher? topicConfigs = null) : IControllerChannel
{
    public async ValueTask<LeaderAndIsrResponseData> SendLeaderAndIsrAsync(int targetBrokerId, LeaderAndIsrRequestData request, CancellationToken cancellationToken)
    {
        if (targetBrokerId != brokerId)
        {
            return Unreachable<LeaderAndIsrResponseData>();
        }

        // A partition seen for the first time gets a new log, which must start with its topic's overrides.
        // (Null only in tests that wire a broker without the coordination store's topic configs.)
        if (topicConfigs is not null)
        {
            await topicConfigs.LoadForNewPartitionsAsync(request, partitions, cancellationToken).ConfigureAwait(false);
        }

        return partitions.ApplyLeaderAndIsr(request);
    }

    public ValueTask<UpdateMetadataResponseData> SendUpdateMetadataAsync(int targetBrokerId, UpdateMetadataRequestData request, CancellationToken cancellationToken)
    {
        if (targetBrokerId != brokerId)
        {
            return new(Unreachable<UpdateMetadataResponseData>());
        }

        bool applied = metadata.Apply(request);
        return new(new UpdateMetadataResponseData { ErrorCode = applied ? (short)ErrorCode.None : (short)ErrorCode.StaleControllerEpoch });
    }

    public ValueTask<StopReplicaResponseData> SendStopReplicaAsync(int targetBrokerId, StopReplicaRequestData request, CancellationToken cancellationToken) =>
        new(targetBrokerId == brokerId ? partitions.ApplyStopReplica(request) : Unreachable<StopReplicaResponseData>());

    /// <summary>Standalone mode has one broker; a request for another is a bug in the controller.</summary>
    private static T Unreachable<T>() => throw new InvalidOperationException("Standalone mode has a single broker.");
}
