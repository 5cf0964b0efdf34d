using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The partition replicas this broker hosts (Kafka's replica manager): created, led, followed and
/// removed only as the controller says through LeaderAndIsr and StopReplica; looked up by the
/// produce, fetch and offset handlers. The control requests are applied one at a time
/// (<see cref="_controlLock"/>); lookups are lock-free.
/// </summary>
internal sealed partial class LocalPartitions
{
    private static readonly object ReportedMarker = new();

    private readonly int _brokerId;
    private readonly LogDirectory _logs;
    private readonly Func<string, LogConfig> _configFor;
    private readonly ILogger _logger;
    private readonly BrokerReplication? _replication;
    private readonly Lock _controlLock = new();
    private readonly ConcurrentDictionary<TopicPartition, Partition> _partitions = new();

    // Logs already reported offline (weak keys: a deleted log's entry goes with it).
    private readonly ConditionalWeakTable<PartitionLog, object> _reportedOffline = new();
    private int _controllerEpoch = -1;

    /// <param name="configFor">The log config of a topic: broker defaults plus the topic's overrides.</param>
    /// <param name="replication">Fetchers and ISR tracking; null for a broker whose partitions never have followers.</param>
    public LocalPartitions(int brokerId, LogDirectory logs, Func<string, LogConfig> configFor, ILogger logger, BrokerReplication? replication = null)
    {
        _replication = replication;
        _brokerId = brokerId;
        _logs = logs;
        _configFor = configFor;
        _logger = logger;
        foreach ((TopicPartition id, string reason) in logs.OfflineLogs)
        {
            LogPartitionOffline(_logger, id.ToString(), logs.Path, reason);
        }
    }

    public Partition? Get(TopicPartition id) => _partitions.GetValueOrDefault(id);

    public Partition? Get(string topic, int partition) => _partitions.GetValueOrDefault(new TopicPartition(topic, partition));

    public ICollection<Partition> All => _partitions.Values;

    /// <summary>
    /// Whether this broker's replica of the partition is offline: its log could not be opened or
    /// created, or hit an I/O error, other than a full disk. Produce, Fetch and ListOffsets answer
    /// KAFKA_STORAGE_ERROR for it, and Metadata lists this broker among its offline replicas. The
    /// log dir is the one source of this (<see cref="LogDirectory.IsOffline"/>): nothing here can
    /// disagree with it, or outlive a cause that went away.
    /// </summary>
    public bool IsOffline(TopicPartition id) => _logs.AnyOffline && _logs.IsOffline(id);

    /// <inheritdoc cref="IsOffline(TopicPartition)"/>
    public bool IsOffline(string topic, int partition) => IsOffline(new TopicPartition(topic, partition));

    /// <summary>Whether any hosted replica is offline (a cheap check before per-partition ones: one counter read).</summary>
    public bool AnyOffline => _logs.AnyOffline;

    /// <summary>
    /// Raised after a LeaderAndIsr was applied to a partition (it may now lead or follow), on the
    /// controller's thread under the control lock: handlers must return quickly (the group
    /// coordinator loads or drops __consumer_offsets partitions this way).
    /// </summary>
    public event Action<Partition>? LeadershipChanged;

    /// <summary>Raised after StopReplica removed a partition from this broker, like <see cref="LeadershipChanged"/>.</summary>
    public event Action<TopicPartition>? PartitionRemoved;

    /// <summary>
    /// Raised once when a hosted replica's log goes offline at run time, on the thread that hit the
    /// I/O error (possibly under the log's locks: handlers must only record or queue). Cluster mode
    /// tells the controller (a log-dir event notification) so it elects another leader.
    /// </summary>
    public event Action<TopicPartition>? ReplicaWentOffline;

    /// <summary>Test seam: called in a LeaderAndIsr with a replica's log just opened, before this class listens to it.</summary>
    internal Action<PartitionLog>? LogOpened { get; set; }

    /// <summary>Becomes leader (or follower) for each listed partition, creating its log on first sight.</summary>
    public LeaderAndIsrResponseData ApplyLeaderAndIsr(LeaderAndIsrRequestData request)
    {
        var response = new LeaderAndIsrResponseData();
        lock (_controlLock)
        {
            if (request.ControllerEpoch < _controllerEpoch)
            {
                response.ErrorCode = (short)ErrorCode.StaleControllerEpoch;
                return response;
            }

            _controllerEpoch = request.ControllerEpoch;
            foreach (LeaderAndIsrRequestData.LeaderAndIsrTopicState topic in request.TopicStates)
            {
                var errors = new LeaderAndIsrResponseData.LeaderAndIsrTopicError { TopicId = topic.TopicId };
                foreach (LeaderAndIsrRequestData.LeaderAndIsrPartitionState state in topic.PartitionStates)
                {
                    ErrorCode error = ApplyOne(topic.TopicName, topic.TopicId, state);
                    errors.PartitionErrors.Add(new LeaderAndIsrResponseData.LeaderAndIsrPartitionError
                    {
                        TopicName = topic.TopicName,
                        PartitionIndex = state.PartitionIndex,
                        ErrorCode = (short)error,
                    });
                }

                response.Topics.Add(errors);
            }
        }

        return response;
    }

    private ErrorCode ApplyOne(string topic, Uuid topicId, LeaderAndIsrRequestData.LeaderAndIsrPartitionState state)
    {
        var id = new TopicPartition(topic, state.PartitionIndex);

        // An offline replica takes no role (Kafka answers the same for a replica in an offline log
        // dir): the controller reads this answer as "offline" and leaves it out of elections and the ISR.
        if (IsOffline(id))
        {
            return ErrorCode.KafkaStorageError;
        }

        Partition? partition = _partitions.GetValueOrDefault(id);
        if (partition is null || partition.TopicId != topicId)
        {
            PartitionLog log;
            try
            {
                log = _logs.GetOrCreateLog(id, topicId, _configFor(topic));
            }
            catch (Exception e) when (e is StorageException or IOException or UnauthorizedAccessException)
            {
                if (OutOfSpace.IsCause(e))
                {
                    // Not offline here, but the controller does not resend: it counts this replica
                    // offline until a later LeaderAndIsr for it is answered NONE (which creates the
                    // log once space is back) or the broker restarts.
                    LogCreateOutOfSpace(_logger, id.ToString(), _logs.Path, e.Message);
                }
                else
                {
                    // The log dir now holds it offline (the check above answers later requests).
                    LogPartitionOffline(_logger, id.ToString(), _logs.Path, e.Message);
                }

                return ErrorCode.KafkaStorageError;
            }

            LogOpened?.Invoke(log);
            partition = new Partition(id, topicId, log, _brokerId, _replication?.Context);
            log.WentOffline -= OnLogOffline;
            log.WentOffline += OnLogOffline;
            _partitions[id] = partition;

            // Offline between the check above and the subscription: its event is gone, so say it here
            // (OnLogOffline reports a log once, should the event have come after all).
            if (log.IsOffline)
            {
                OnLogOffline(log);
                return ErrorCode.KafkaStorageError;
            }
        }

        _replication?.BeforeLeadershipChange(id, state.Leader, _brokerId);
        bool applied = partition.ApplyLeadership(state.Leader, state.LeaderEpoch, state.PartitionEpoch, [.. state.Replicas], [.. state.Isr]);
        _replication?.AfterLeadershipChange(partition);
        if (!applied)
        {
            return ErrorCode.StaleControllerEpoch;
        }

        LeadershipChanged?.Invoke(partition);
        return ErrorCode.None;
    }

    /// <summary>
    /// Removes logs this broker kept from topics that were deleted (or deleted and created again)
    /// while it was down: the controller only tells live brokers to delete, so such a log would
    /// otherwise stay on disk for ever. <paramref name="fullMetadata"/> must list every topic of
    /// the cluster with its id (the controller sends a starting broker the whole metadata before
    /// any LeaderAndIsr). Only logs no LeaderAndIsr has claimed are candidates, and a log is
    /// removed only when it records a topic id and that topic is absent or has another id now.
    /// </summary>
    /// <returns>How many logs were removed.</returns>
    public int DeleteStrayLogs(UpdateMetadataRequestData fullMetadata)
    {
        var topicIds = new Dictionary<string, Uuid>(fullMetadata.TopicStates.Count, StringComparer.Ordinal);
        foreach (UpdateMetadataRequestData.UpdateMetadataTopicState topic in fullMetadata.TopicStates)
        {
            topicIds[topic.TopicName] = topic.TopicId;
        }

        int removed = 0;
        lock (_controlLock)
        {
            foreach (PartitionLog log in _logs.Logs)
            {
                TopicPartition id = log.TopicPartition;
                if (_partitions.ContainsKey(id))
                {
                    continue;
                }

                // A log without a recorded topic id cannot be told apart from a live one: kept.
                Uuid? recorded = LogDirectory.TopicIdOf(log);
                bool exists = topicIds.TryGetValue(id.Topic, out Uuid current);
                if (recorded is null || (exists && (current.IsZero || recorded.Value == current)))
                {
                    continue;
                }

                LogStrayLog(_logger, id.ToString(), log.Directory, exists ? "was created again with another topic id" : "no longer exists");
                try
                {
                    _logs.DeleteLog(id);
                    removed++;
                }
                catch (Exception e) when (e is StorageException or IOException)
                {
                    LogStorageFailure(_logger, id.ToString(), e.Message);
                }
            }
        }

        return removed;
    }

    /// <summary>Stops hosting partitions; with DeletePartition their logs are closed and removed.</summary>
    public StopReplicaResponseData ApplyStopReplica(StopReplicaRequestData request)
    {
        var response = new StopReplicaResponseData();
        lock (_controlLock)
        {
            if (request.ControllerEpoch < _controllerEpoch)
            {
                response.ErrorCode = (short)ErrorCode.StaleControllerEpoch;
                return response;
            }

            foreach (StopReplicaRequestData.StopReplicaTopicState topic in request.TopicStates)
            {
                foreach (StopReplicaRequestData.StopReplicaPartitionState state in topic.PartitionStates)
                {
                    var id = new TopicPartition(topic.TopicName, state.PartitionIndex);
                    ErrorCode error = ErrorCode.None;
                    _replication?.BeforeStopReplica(id);
                    // A deleted partition's log goes even if this broker never brought it online
                    // (restarted and not yet told to lead or follow it).
                    _partitions.TryRemove(id, out Partition? partition);
                    if (state.DeletePartition)
                    {
                        try
                        {
                            _logs.DeleteLog(id);
                        }
                        catch (StorageException e)
                        {
                            LogStorageFailure(_logger, id.ToString(), e.Message);
                            error = ErrorCode.KafkaStorageError;
                        }
                        catch (IOException e)
                        {
                            LogStorageFailure(_logger, id.ToString(), e.Message);
                            error = ErrorCode.KafkaStorageError;
                        }
                    }

                    if (partition is not null)
                    {
                        partition.SignalStateChanged(); // parked fetches look again and find it gone
                        PartitionRemoved?.Invoke(id);
                    }

                    response.PartitionErrors.Add(new StopReplicaResponseData.StopReplicaPartitionError
                    {
                        TopicName = topic.TopicName,
                        PartitionIndex = state.PartitionIndex,
                        ErrorCode = (short)error,
                    });
                }
            }
        }

        return response;
    }

    /// <summary>A log went offline at run time (read, append or fsync failed): said once, with the cause.</summary>
    private void OnLogOffline(PartitionLog log)
    {
        // Once per log: from its WentOffline event or from ApplyOne finding it offline, whichever comes first.
        if (!_reportedOffline.TryAdd(log, ReportedMarker))
        {
            return;
        }

        LogPartitionOffline(_logger, log.TopicPartition.ToString(), _logs.Path, log.OfflineReason ?? "unknown");
        _partitions.GetValueOrDefault(log.TopicPartition)?.SignalStateChanged(); // waiters look again (only queues their wake-ups)
        ReplicaWentOffline?.Invoke(log.TopicPartition);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Partition {Partition} in log dir {Directory} is offline: {Reason}. Produce and Fetch answer KAFKA_STORAGE_ERROR for it until the broker is restarted with the cause removed")]
    private static partial void LogPartitionOffline(ILogger logger, string partition, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create the log of {Partition} in log dir {Directory}, the disk is full: {Reason}. LeaderAndIsr answers KAFKA_STORAGE_ERROR for it; the partition is not offline and the next LeaderAndIsr creates it once space is back")]
    private static partial void LogCreateOutOfSpace(ILogger logger, string partition, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting the log of {Partition} in {Directory}: its topic {Reason} (deleted while this broker was down)")]
    private static partial void LogStrayLog(ILogger logger, string partition, string directory, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage failure for partition {Partition}: {Reason}")]
    private static partial void LogStorageFailure(ILogger logger, string partition, string reason);
}
