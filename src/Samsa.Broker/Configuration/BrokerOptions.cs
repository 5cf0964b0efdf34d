using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Cleaning;

namespace Samsa.Broker.Configuration;

/// <summary>
/// The broker's configuration, typed, validated and with Kafka's defaults: what the rest of the
/// broker reads instead of raw <c>server.properties</c> strings. Built once at start-up by
/// <see cref="Load"/> from the file merged with <c>--override</c> pairs; immutable afterwards.
/// Each property names the key it comes from; the key table is <see cref="BrokerConfigDefinition"/>.
/// </summary>
public sealed partial record BrokerOptions
{
    // ZooKeeper

    /// <summary><c>zookeeper.connect</c>; null (or blank) runs standalone with metadata in the first log dir.</summary>
    public string? ZooKeeperConnect { get; init; }

    /// <summary>True when no <c>zookeeper.connect</c> is given.</summary>
    public bool IsStandalone => ZooKeeperConnect is null;

    /// <summary><c>zookeeper.session.timeout.ms</c>.</summary>
    public int ZooKeeperSessionTimeoutMs { get; init; }

    /// <summary><c>zookeeper.connection.timeout.ms</c>, or the session timeout when unset.</summary>
    public int ZooKeeperConnectionTimeoutMs { get; init; }

    /// <summary><c>zookeeper.max.in.flight.requests</c>.</summary>
    public int ZooKeeperMaxInFlightRequests { get; init; }

    // General

    /// <summary><c>broker.id</c>; -1 asks for a generated id.</summary>
    public int BrokerId { get; init; }

    /// <summary><c>broker.id.generation.enable</c>.</summary>
    public bool BrokerIdGenerationEnable { get; init; }

    /// <summary><c>reserved.broker.max.id</c>.</summary>
    public int ReservedBrokerMaxId { get; init; }

    /// <summary><c>broker.rack</c>, or null.</summary>
    public string? BrokerRack { get; init; }

    /// <summary><c>message.max.bytes</c>.</summary>
    public int MessageMaxBytes { get; init; }

    /// <summary><c>queued.max.requests</c>.</summary>
    public int QueuedMaxRequests { get; init; }

    /// <summary><c>queued.max.request.bytes</c>; -1 (or 0) = no byte limit.</summary>
    public long QueuedMaxRequestBytes { get; init; }

    /// <summary><c>request.timeout.ms</c> for requests this broker sends.</summary>
    public int RequestTimeoutMs { get; init; }

    /// <summary><c>num.io.threads</c>: the thread pool's least number of worker threads (<see cref="Threading.ThreadPoolFloor"/>).</summary>
    public int NumIoThreads { get; init; }

    /// <summary><c>num.recovery.threads.per.data.dir</c>.</summary>
    public int NumRecoveryThreadsPerDataDir { get; init; }

    // Listeners and sockets

    /// <summary><c>listeners</c>: where to bind.</summary>
    public IReadOnlyList<ListenerEndpoint> Listeners { get; init; } = [];

    /// <summary><c>advertised.listeners</c> (default: <see cref="Listeners"/>), empty hosts replaced by this machine's host name.</summary>
    public IReadOnlyList<ListenerEndpoint> AdvertisedListeners { get; init; } = [];

    /// <summary><c>inter.broker.listener.name</c>, resolved: the listener other brokers use.</summary>
    public string InterBrokerListenerName { get; init; } = "PLAINTEXT";

    /// <summary><c>socket.send.buffer.bytes</c>; -1 = OS default.</summary>
    public int SocketSendBufferBytes { get; init; }

    /// <summary><c>socket.receive.buffer.bytes</c>; -1 = OS default.</summary>
    public int SocketReceiveBufferBytes { get; init; }

    /// <summary><c>socket.request.max.bytes</c>: the frame size limit.</summary>
    public int SocketRequestMaxBytes { get; init; }

    /// <summary><c>max.connections</c>.</summary>
    public int MaxConnections { get; init; }

    /// <summary><c>max.connections.per.ip</c>.</summary>
    public int MaxConnectionsPerIp { get; init; }

    /// <summary><c>max.connections.per.ip.overrides</c>: host name or IP to its limit.</summary>
    public IReadOnlyDictionary<string, int> MaxConnectionsPerIpOverrides { get; init; } = new Dictionary<string, int>();

    /// <summary><c>connections.max.idle.ms</c>; -1 = never close idle connections.</summary>
    public long ConnectionsMaxIdleMs { get; init; }

    // Logs

    /// <summary><c>log.dirs</c>, else <c>log.dir</c>; never empty.</summary>
    public IReadOnlyList<string> LogDirs { get; init; } = [];

    /// <summary><c>num.partitions</c>.</summary>
    public int NumPartitions { get; init; }

    /// <summary><c>default.replication.factor</c>.</summary>
    public int DefaultReplicationFactor { get; init; }

    /// <summary><c>min.insync.replicas</c>.</summary>
    public int MinInsyncReplicas { get; init; }

    /// <summary><c>log.segment.bytes</c>.</summary>
    public int LogSegmentBytes { get; init; }

    /// <summary><c>log.roll.ms</c>, else <c>log.roll.hours</c> in ms.</summary>
    public long LogRollMs { get; init; }

    /// <summary><c>log.roll.jitter.ms</c>, else <c>log.roll.jitter.hours</c> in ms.</summary>
    public long LogRollJitterMs { get; init; }

    /// <summary><c>log.retention.ms</c>, else minutes, else hours, in ms; any negative value is -1 (keep forever).</summary>
    public long LogRetentionMs { get; init; }

    /// <summary><c>log.retention.bytes</c>; -1 = no size limit.</summary>
    public long LogRetentionBytes { get; init; }

    /// <summary><c>log.retention.check.interval.ms</c>.</summary>
    public long LogRetentionCheckIntervalMs { get; init; }

    /// <summary><c>log.cleanup.policy</c>.</summary>
    public CleanupPolicy LogCleanupPolicy { get; init; }

    /// <summary><c>log.cleaner.enable</c>.</summary>
    public bool LogCleanerEnable { get; init; }

    /// <summary>The log cleaner's broker-level settings, as the log directory takes them.</summary>
    public LogCleanerConfig LogCleaner => new() { Enable = LogCleanerEnable };

    /// <summary><c>log.cleaner.threads</c>.</summary>
    public int LogCleanerThreads { get; init; }

    /// <summary><c>log.cleaner.delete.retention.ms</c>.</summary>
    public long LogCleanerDeleteRetentionMs { get; init; }

    /// <summary><c>log.cleaner.min.compaction.lag.ms</c>.</summary>
    public long LogCleanerMinCompactionLagMs { get; init; }

    /// <summary><c>log.cleaner.backoff.ms</c>.</summary>
    public long LogCleanerBackoffMs { get; init; }

    /// <summary><c>log.index.size.max.bytes</c>.</summary>
    public int LogIndexSizeMaxBytes { get; init; }

    /// <summary><c>log.index.interval.bytes</c>.</summary>
    public int LogIndexIntervalBytes { get; init; }

    /// <summary><c>log.flush.interval.messages</c>.</summary>
    public long LogFlushIntervalMessages { get; init; }

    /// <summary><c>log.flush.interval.ms</c>, else <c>log.flush.scheduler.interval.ms</c>.</summary>
    public long LogFlushIntervalMs { get; init; }

    /// <summary><c>log.flush.scheduler.interval.ms</c>.</summary>
    public long LogFlushSchedulerIntervalMs { get; init; }

    /// <summary><c>log.flush.offset.checkpoint.interval.ms</c>: recovery-point checkpoint period.</summary>
    public long LogFlushOffsetCheckpointIntervalMs { get; init; }

    /// <summary><c>log.flush.start.offset.checkpoint.interval.ms</c>.</summary>
    public long LogFlushStartOffsetCheckpointIntervalMs { get; init; }

    /// <summary><c>log.segment.delete.delay.ms</c>.</summary>
    public long LogSegmentDeleteDelayMs { get; init; }

    /// <summary><c>log.preallocate</c>.</summary>
    public bool LogPreallocate { get; init; }

    /// <summary><c>log.message.timestamp.type</c>.</summary>
    public TimestampType LogMessageTimestampType { get; init; }

    /// <summary><c>log.message.timestamp.difference.max.ms</c>.</summary>
    public long LogMessageTimestampDifferenceMaxMs { get; init; }

    /// <summary><c>auto.create.topics.enable</c>.</summary>
    public bool AutoCreateTopicsEnable { get; init; }

    /// <summary><c>compression.type</c>.</summary>
    public BrokerCompressionType CompressionType { get; init; }

    /// <summary><c>delete.topic.enable</c>.</summary>
    public bool DeleteTopicEnable { get; init; }

    // Replication

    /// <summary><c>replica.lag.time.max.ms</c>.</summary>
    public long ReplicaLagTimeMaxMs { get; init; }

    /// <summary><c>replica.socket.timeout.ms</c>.</summary>
    public int ReplicaSocketTimeoutMs { get; init; }

    /// <summary><c>replica.fetch.max.bytes</c>.</summary>
    public int ReplicaFetchMaxBytes { get; init; }

    /// <summary><c>replica.fetch.wait.max.ms</c>.</summary>
    public int ReplicaFetchWaitMaxMs { get; init; }

    /// <summary><c>replica.fetch.min.bytes</c>.</summary>
    public int ReplicaFetchMinBytes { get; init; }

    /// <summary><c>replica.fetch.response.max.bytes</c>.</summary>
    public int ReplicaFetchResponseMaxBytes { get; init; }

    /// <summary><c>replica.fetch.backoff.ms</c>.</summary>
    public int ReplicaFetchBackoffMs { get; init; }

    /// <summary><c>num.replica.fetchers</c>.</summary>
    public int NumReplicaFetchers { get; init; }

    /// <summary><c>replica.high.watermark.checkpoint.interval.ms</c>.</summary>
    public long ReplicaHighWatermarkCheckpointIntervalMs { get; init; }

    /// <summary><c>auto.leader.rebalance.enable</c>.</summary>
    public bool AutoLeaderRebalanceEnable { get; init; }

    /// <summary><c>leader.imbalance.per.broker.percentage</c>.</summary>
    public int LeaderImbalancePerBrokerPercentage { get; init; }

    /// <summary><c>leader.imbalance.check.interval.seconds</c>.</summary>
    public long LeaderImbalanceCheckIntervalSeconds { get; init; }

    /// <summary><c>unclean.leader.election.enable</c>.</summary>
    public bool UncleanLeaderElectionEnable { get; init; }

    /// <summary><c>controlled.shutdown.enable</c>.</summary>
    public bool ControlledShutdownEnable { get; init; }

    /// <summary><c>controlled.shutdown.max.retries</c>.</summary>
    public int ControlledShutdownMaxRetries { get; init; }

    /// <summary><c>controlled.shutdown.retry.backoff.ms</c>.</summary>
    public long ControlledShutdownRetryBackoffMs { get; init; }

    // Groups and offsets

    /// <summary><c>group.min.session.timeout.ms</c>.</summary>
    public int GroupMinSessionTimeoutMs { get; init; }

    /// <summary><c>group.max.session.timeout.ms</c>.</summary>
    public int GroupMaxSessionTimeoutMs { get; init; }

    /// <summary><c>group.initial.rebalance.delay.ms</c>.</summary>
    public int GroupInitialRebalanceDelayMs { get; init; }

    /// <summary><c>group.max.size</c>.</summary>
    public int GroupMaxSize { get; init; }

    /// <summary><c>group.consumer.heartbeat.interval.ms</c>.</summary>
    public int GroupConsumerHeartbeatIntervalMs { get; init; } = 5000;

    /// <summary><c>group.consumer.session.timeout.ms</c>.</summary>
    public int GroupConsumerSessionTimeoutMs { get; init; } = 45_000;

    /// <summary><c>group.consumer.assignors</c>.</summary>
    public IReadOnlyList<string> GroupConsumerAssignors { get; init; } = ["uniform", "range"];

    /// <summary><c>offset.metadata.max.bytes</c>.</summary>
    public int OffsetMetadataMaxBytes { get; init; }

    /// <summary><c>offsets.topic.replication.factor</c>.</summary>
    public short OffsetsTopicReplicationFactor { get; init; }

    /// <summary><c>offsets.topic.num.partitions</c>.</summary>
    public int OffsetsTopicNumPartitions { get; init; }

    /// <summary><c>offsets.topic.segment.bytes</c>.</summary>
    public int OffsetsTopicSegmentBytes { get; init; }

    /// <summary><c>offsets.retention.minutes</c>.</summary>
    public int OffsetsRetentionMinutes { get; init; }

    /// <summary><c>offsets.retention.check.interval.ms</c>.</summary>
    public long OffsetsRetentionCheckIntervalMs { get; init; }

    /// <summary><c>offsets.commit.timeout.ms</c>.</summary>
    public int OffsetsCommitTimeoutMs { get; init; }

    /// <summary><c>offsets.commit.required.acks</c>.</summary>
    public short OffsetsCommitRequiredAcks { get; init; }

    // Transactions and fetch

    /// <summary><c>transactional.id.expiration.ms</c>.</summary>
    public int TransactionalIdExpirationMs { get; init; }

    /// <summary><c>transaction.max.timeout.ms</c>.</summary>
    public int TransactionMaxTimeoutMs { get; init; }

    /// <summary><c>transaction.state.log.min.isr</c>.</summary>
    public int TransactionStateLogMinIsr { get; init; }

    /// <summary><c>transaction.state.log.replication.factor</c>.</summary>
    public short TransactionStateLogReplicationFactor { get; init; }

    /// <summary><c>transaction.state.log.num.partitions</c>.</summary>
    public int TransactionStateLogNumPartitions { get; init; }

    /// <summary><c>transaction.state.log.segment.bytes</c>.</summary>
    public int TransactionStateLogSegmentBytes { get; init; }

    /// <summary><c>max.incremental.fetch.session.cache.slots</c>.</summary>
    public int MaxIncrementalFetchSessionCacheSlots { get; init; }

    /// <summary><c>fetch.max.bytes</c>.</summary>
    public int FetchMaxBytes { get; init; }

    /// <summary>
    /// The known keys the operator set (file and overrides), as written: what DescribeConfigs
    /// reports as STATIC_BROKER_CONFIG. Every other key has its default.
    /// </summary>
    public IReadOnlyDictionary<string, string> Originals { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The topic-level defaults the broker's <c>log.*</c> keys give every topic without overrides,
    /// as Kafka maps them (log.segment.bytes → segment.bytes, log.retention.* → retention.ms, ...).
    /// </summary>
    public LogConfig LogDefaults => new()
    {
        SegmentBytes = LogSegmentBytes,
        SegmentMs = LogRollMs,
        SegmentIndexBytes = LogIndexSizeMaxBytes,
        IndexIntervalBytes = LogIndexIntervalBytes,
        FlushMessages = LogFlushIntervalMessages,
        FlushMs = LogFlushIntervalMs,
        RetentionMs = LogRetentionMs,
        RetentionBytes = LogRetentionBytes,
        CleanupPolicy = LogCleanupPolicy,
        DeleteRetentionMs = LogCleanerDeleteRetentionMs,
        MinCompactionLagMs = LogCleanerMinCompactionLagMs,
        MaxMessageBytes = MessageMaxBytes,
        FileDeleteDelayMs = LogSegmentDeleteDelayMs,
        MessageTimestampType = LogMessageTimestampType,
        Preallocate = LogPreallocate,
    };
}
