using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// This broker's end of the controller channel: applies LeaderAndIsr, UpdateMetadata and
/// StopReplica to the local partitions and the metadata cache, whether they arrived over the
/// network (the inter-broker handlers) or in-process (the controller runs on this broker).
/// <para>
/// Fencing, as Kafka's replica manager does it: the highest controller epoch seen so far is kept,
/// and a request from an older epoch (a deposed controller still talking) is refused with
/// STALE_CONTROLLER_EPOCH; a request addressed to an older registration of this broker (an earlier
/// session, so an older broker epoch) is refused with STALE_BROKER_EPOCH. Requests are applied one
/// at a time (under a lock) so the check and the apply see the same epoch.
/// </para>
/// </summary>
internal sealed class ControlRequestReceiver(LocalPartitions partitions, MetadataCache metadata, TopicConfigWatcher? topicConfigs)
{
    private readonly Lock _applying = new();
    private int _controllerEpoch = -1;
    private long _brokerEpoch = -1;

    /// <summary>The highest controller epoch this broker has accepted a request from.</summary>
    public int ControllerEpoch => Volatile.Read(ref _controllerEpoch);

    /// <summary>
    /// This broker's epoch (the czxid of its registration znode), once registered; requests carrying
    /// an older one were meant for a previous registration.
    /// </summary>
    public long BrokerEpoch
    {
        get => Volatile.Read(ref _brokerEpoch);
        set => Volatile.Write(ref _brokerEpoch, value);
    }

    public async ValueTask<LeaderAndIsrResponseData> ApplyLeaderAndIsrAsync(LeaderAndIsrRequestData request, CancellationToken cancellationToken)
    {
        ErrorCode fenced;
        lock (_applying)
        {
            fenced = Fence(request.ControllerEpoch, request.BrokerEpoch, record: false);
        }

        // A partition seen for the first time gets a new log, which must start with its topic's overrides.
        if (fenced == ErrorCode.None && topicConfigs is not null)
        {
            await topicConfigs.LoadForNewPartitionsAsync(request, partitions, cancellationToken).ConfigureAwait(false);
        }

        lock (_applying)
        {
            // Checked again: a newer controller may have been heard from while the configs loaded.
            fenced = Fence(request.ControllerEpoch, request.BrokerEpoch, record: true);
            return fenced != ErrorCode.None
                ? new LeaderAndIsrResponseData { ErrorCode = (short)fenced }
                : partitions.ApplyLeaderAndIsr(request);
        }
    }

    public ValueTask<UpdateMetadataResponseData> ApplyUpdateMetadataAsync(UpdateMetadataRequestData request, CancellationToken cancellationToken)
    {
        lock (_applying)
        {
            ErrorCode fenced = Fence(request.ControllerEpoch, request.BrokerEpoch, record: true);
            if (fenced == ErrorCode.None && !metadata.Apply(request))
            {
                fenced = ErrorCode.StaleControllerEpoch;
            }

            // A FULL UpdateMetadata is the controller's whole view (a starting broker gets one before
            // any LeaderAndIsr): logs of topics missing from it were deleted while we were away.
            if (fenced == ErrorCode.None && request.Type == KafkaController.UpdateMetadataFull)
            {
                partitions.DeleteStrayLogs(request);
            }

            return new(new UpdateMetadataResponseData { ErrorCode = (short)fenced });
        }
    }

    public ValueTask<StopReplicaResponseData> ApplyStopReplicaAsync(StopReplicaRequestData request, CancellationToken cancellationToken)
    {
        lock (_applying)
        {
            ErrorCode fenced = Fence(request.ControllerEpoch, request.BrokerEpoch, record: true);
            return new(fenced != ErrorCode.None
                ? new StopReplicaResponseData { ErrorCode = (short)fenced }
                : partitions.ApplyStopReplica(request));
        }
    }

    /// <summary>Checks (and, with <paramref name="record"/>, records) the epochs of a control request; called under <see cref="_applying"/>.</summary>
    private ErrorCode Fence(int controllerEpoch, long brokerEpoch, bool record)
    {
        if (controllerEpoch < _controllerEpoch)
        {
            return ErrorCode.StaleControllerEpoch;
        }

        // -1: the sender did not say (old request versions, or a test); Kafka skips the check then.
        long ours = BrokerEpoch;
        if (brokerEpoch != -1 && ours != -1 && brokerEpoch < ours)
        {
            return ErrorCode.StaleBrokerEpoch;
        }

        if (record)
        {
            Volatile.Write(ref _controllerEpoch, controllerEpoch);
        }

        return ErrorCode.None;
    }
}
