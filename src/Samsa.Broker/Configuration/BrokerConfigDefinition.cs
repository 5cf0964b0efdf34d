using System.Collections.Frozen;
using static Samsa.Broker.Configuration.ConfigImportance;
using static Samsa.Broker.Configuration.ConfigValidator;

namespace Samsa.Broker.Configuration;

/// <summary>
/// The one table of every broker key Samsa reads from <c>server.properties</c>, in the spirit of
/// Kafka's <c>ConfigDef</c> in <c>KafkaConfig.scala</c>: name, type, Kafka's code default, allowed
/// values, importance and a line of documentation. Names and defaults are Kafka 3.1's. Keys marked
/// <see cref="ConfigKey.ActedOn"/> = false are accepted so a Kafka file loads unchanged, but Samsa
/// has no equivalent knob; their documentation says why. Built once; immutable.
/// </summary>
internal static partial class BrokerConfigDefinition
{
    private const string IgnoredPrefix = "Accepted for compatibility; Samsa ignores it: ";

    /// <summary>Every key, in table order.</summary>
    public static IReadOnlyList<ConfigKey> Keys { get; } = BuildTable();

    private static readonly FrozenDictionary<string, ConfigKey> ByName =
        Keys.ToFrozenDictionary(k => k.Name, StringComparer.Ordinal);

    public static bool TryGetKey(string name, out ConfigKey key) => ByName.TryGetValue(name, out key!);

    public static ConfigKey GetKey(string name) => ByName[name];

    private static ConfigKey[] BuildTable() =>
    [
        // ZooKeeper
        new(ZooKeeperConnect, ConfigType.String, null, null, High,
            "ZooKeeper ensemble as host:port[,host:port...][/chroot]. Leave it out to run standalone, with the metadata kept in the first log directory."),
        new(ZooKeeperSessionTimeoutMs, ConfigType.Int, "18000", AtLeast(1), High,
            "How long ZooKeeper keeps this broker's session (and its registration) alive without a heartbeat."),
        new(ZooKeeperConnectionTimeoutMs, ConfigType.Int, null, AtLeast(1), High,
            "How long to wait for the first connection to ZooKeeper; unset means zookeeper.session.timeout.ms."),
        new(ZooKeeperMaxInFlightRequests, ConfigType.Int, "10", AtLeast(1), High,
            "How many ZooKeeper requests the broker pipelines before waiting for answers."),
        new(ZooKeeperSyncTimeMs, ConfigType.Int, "2000", null, Low,
            IgnoredPrefix + "it tunes how far a ZooKeeper follower may lag, which is the ensemble's business.",
            ActedOn: false),
        new(ZooKeeperSetAcl, ConfigType.Boolean, "false", null, High,
            IgnoredPrefix + "Samsa has no authentication, so it creates ZooKeeper nodes without ACLs.",
            ActedOn: false),

        // General
        new(BrokerId, ConfigType.Int, "-1", null, High,
            "This broker's id, unique in the cluster; -1 lets the broker pick one above reserved.broker.max.id."),
        new(BrokerIdGenerationEnable, ConfigType.Boolean, "true", null, Medium,
            "Whether a broker with broker.id=-1 may pick its own id."),
        new(ReservedBrokerMaxId, ConfigType.Int, "1000", AtLeast(0), Medium,
            "Highest id an operator may assign; generated ids start above it."),
        new(BrokerRack, ConfigType.String, null, null, Medium,
            "Rack (or zone) of this broker; replica placement spreads a partition's replicas over racks."),
        new(MessageMaxBytes, ConfigType.Int, "1048588", AtLeast(0), High,
            "Largest record batch, after compression, the broker accepts; topics override it with max.message.bytes."),
        new(NumNetworkThreads, ConfigType.Int, "3", AtLeast(1), High,
            IgnoredPrefix + "connections are served by async I/O on the .NET thread pool, not a fixed set of network threads.",
            ActedOn: false),
        new(NumIoThreads, ConfigType.Int, "8", AtLeast(1), High,
            IgnoredPrefix + "requests are handled on the .NET thread pool, not a fixed set of I/O threads.",
            ActedOn: false),
        new(BackgroundThreads, ConfigType.Int, "10", AtLeast(1), High,
            IgnoredPrefix + "background work (retention, checkpoints) runs as timers on the .NET thread pool.",
            ActedOn: false),
        new(QueuedMaxRequests, ConfigType.Int, "500", AtLeast(1), High,
            "How many requests may be read and waiting to be handled before the broker stops reading from sockets."),
        new(RequestTimeoutMs, ConfigType.Int, "30000", null, High,
            "How long the broker waits for an answer to a request it sent to another broker or the controller."),
        new(NumRecoveryThreadsPerDataDir, ConfigType.Int, "1", AtLeast(1), High,
            "How many partition logs per log directory are recovered (or flushed at shutdown) in parallel."),

        // Listeners and sockets
        new(Listeners, ConfigType.String, "PLAINTEXT://:9092", null, High,
            "Comma-separated NAME://host:port endpoints to listen on; an empty host means every interface, port 0 an OS-chosen port."),
        new(AdvertisedListeners, ConfigType.String, null, null, High,
            "Endpoints given to clients in metadata, if different from listeners; an empty host becomes this machine's host name."),
        new(ListenerSecurityProtocolMap, ConfigType.String, "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL", null, Low,
            "NAME:PROTOCOL pairs giving each listener name its security protocol; Samsa serves PLAINTEXT only."),
        new(InterBrokerListenerName, ConfigType.String, null, null, Medium,
            "Listener other brokers use to reach this one; unset means the listener named after inter.broker.security.protocol."),
        new(InterBrokerSecurityProtocol, ConfigType.String, "PLAINTEXT", OneOf("PLAINTEXT"), Medium,
            "Security protocol between brokers when inter.broker.listener.name is unset; Samsa supports PLAINTEXT only."),
        new(SocketSendBufferBytes, ConfigType.Int, "102400", null, High,
            "SO_SNDBUF of client sockets; -1 keeps the operating system's default."),
        new(SocketReceiveBufferBytes, ConfigType.Int, "102400", null, High,
            "SO_RCVBUF of client sockets; -1 keeps the operating system's default."),
        new(SocketRequestMaxBytes, ConfigType.Int, "104857600", AtLeast(1), High,
            "Largest request frame accepted; a bigger size prefix closes the connection before anything is allocated."),
        new(MaxConnections, ConfigType.Int, "2147483647", AtLeast(0), Medium,
            "Most client connections the broker holds at once; new ones wait in the accept queue beyond it."),
        new(MaxConnectionsPerIp, ConfigType.Int, "2147483647", AtLeast(1), Medium,
            "Most connections from one IP address; more are closed at once. Samsa has no per-IP overrides, so 0 is not allowed."),
        new(ConnectionsMaxIdleMs, ConfigType.Long, "600000", null, Medium,
            "Connections with no traffic for this long are closed; -1 never closes them."),

        // Logs
        new(NumPartitions, ConfigType.Int, "1", AtLeast(1), Medium,
            "Partitions of a topic created without a count, including auto-created topics."),
        new(LogDir, ConfigType.String, "/tmp/kafka-logs", null, High,
            "Directory for partition data when log.dirs is unset."),
        new(LogDirs, ConfigType.String, null, null, High,
            "Comma-separated directories for partition data; new partitions go to the one holding the fewest. Overrides log.dir."),
        new(LogSegmentBytes, ConfigType.Int, "1073741824", AtLeast(14), High,
            "Size at which a partition's active segment file is closed and a new one started."),
        new(LogRollMs, ConfigType.Long, null, null, High,
            "Age at which the active segment is rolled even if not full; overrides log.roll.hours."),
        new(LogRollHours, ConfigType.Int, "168", AtLeast(1), High,
            "log.roll.ms in hours."),
        new(LogRollJitterMs, ConfigType.Long, null, null, High,
            "Random amount subtracted from the roll age so segments of many partitions do not roll together; overrides log.roll.jitter.hours."),
        new(LogRollJitterHours, ConfigType.Int, "0", AtLeast(0), High,
            "log.roll.jitter.ms in hours."),
        new(LogRetentionMs, ConfigType.Long, null, null, High,
            "How long a closed segment is kept (by its newest timestamp) before deletion; -1 keeps data forever. Wins over minutes and hours."),
        new(LogRetentionMinutes, ConfigType.Int, null, null, High,
            "log.retention.ms in minutes; wins over log.retention.hours."),
        new(LogRetentionHours, ConfigType.Int, "168", null, High,
            "log.retention.ms in hours; the lowest-precedence of the three."),
        new(LogRetentionBytes, ConfigType.Long, "-1", null, High,
            "Oldest segments are deleted while a partition would still be at least this big; -1 means no size limit."),
        new(LogRetentionCheckIntervalMs, ConfigType.Long, "300000", AtLeast(1), Medium,
            "How often the broker looks for segments that retention allows it to delete."),
        new(LogCleanupPolicy, ConfigType.List, "delete", EachOneOf("compact", "delete"), Medium,
            "Default cleanup for topics: delete old segments, compact to the newest record per key, or both."),
        new(LogCleanerEnable, ConfigType.Boolean, "true", null, Medium,
            "Whether the compaction cleaner runs; compacted topics such as __consumer_offsets grow without it."),
        new(LogCleanerThreads, ConfigType.Int, "1", AtLeast(0), Medium,
            "How many partitions are compacted at the same time."),
        new(LogCleanerDeleteRetentionMs, ConfigType.Long, "86400000", null, Medium,
            "How long compaction keeps delete markers (tombstones) so consumers can see them."),
        new(LogCleanerMinCompactionLagMs, ConfigType.Long, "0", null, Medium,
            "A record stays uncompacted for at least this long after it is written."),
        new(LogCleanerBackoffMs, ConfigType.Long, "15000", AtLeast(0), Medium,
            "How long the cleaner sleeps when no partition needs compacting."),
        new(LogIndexSizeMaxBytes, ConfigType.Int, "10485760", AtLeast(4), Medium,
            "Capacity of each segment's offset and time index; a full index rolls the segment."),
        new(LogIndexIntervalBytes, ConfigType.Int, "4096", AtLeast(0), Medium,
            "Bytes appended between offset index entries; smaller means faster lookups and bigger indexes."),
        new(LogFlushIntervalMessages, ConfigType.Long, "9223372036854775807", AtLeast(1), High,
            "Force data to disk after this many records; by default durability comes from replication and the OS."),
        new(LogFlushIntervalMs, ConfigType.Long, null, null, High,
            "Force data to disk when the oldest unflushed record is this old; unset means log.flush.scheduler.interval.ms."),
        new(LogFlushSchedulerIntervalMs, ConfigType.Long, "9223372036854775807", null, High,
            "How often the broker checks whether any log needs a time-based flush."),
        new(LogFlushOffsetCheckpointIntervalMs, ConfigType.Int, "60000", AtLeast(0), High,
            "How often the recovery-point checkpoint (how far each log is known flushed) is written."),
        new(LogFlushStartOffsetCheckpointIntervalMs, ConfigType.Int, "60000", AtLeast(0), High,
            "How often the log-start-offset checkpoint is written."),
        new(LogSegmentDeleteDelayMs, ConfigType.Long, "60000", AtLeast(0), High,
            "How long a deleted segment lingers (renamed .deleted) so reads already using it can finish."),
        new(LogPreallocate, ConfigType.Boolean, "false", null, Medium,
            "Whether new segment files are preallocated to log.segment.bytes."),
        new(LogMessageTimestampType, ConfigType.String, "CreateTime", OneOf("CreateTime", "LogAppendTime"), Medium,
            "Whether stored records keep the producer's timestamp (CreateTime) or get the broker's append time (LogAppendTime)."),
        new(LogMessageTimestampDifferenceMaxMs, ConfigType.Long, "9223372036854775807", null, Medium,
            "With CreateTime, reject batches whose timestamp is further than this from the broker's clock."),
        new(AutoCreateTopicsEnable, ConfigType.Boolean, "true", null, High,
            "Whether metadata requests and produce to an unknown topic create it with num.partitions and default.replication.factor."),
        new(MinInsyncReplicas, ConfigType.Int, "1", AtLeast(1), High,
            "Fewest in-sync replicas an acks=all write needs; fewer fails it with NOT_ENOUGH_REPLICAS."),
        new(CompressionType, ConfigType.String, "producer", OneOfIgnoreCase("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"), High,
            "Codec stored batches use: producer keeps what the producer sent, uncompressed or a codec recompresses."),
        new(DeleteTopicEnable, ConfigType.Boolean, "true", null, High,
            "Whether DeleteTopics requests are honoured; when false they fail and the topic stays."),

        // Replication
        new(DefaultReplicationFactor, ConfigType.Int, "1", AtLeast(1), Medium,
            "Replicas of a topic created without a replication factor, including auto-created topics."),
        new(ReplicaLagTimeMaxMs, ConfigType.Long, "30000", null, High,
            "A follower that has not caught up to the leader's log end within this time is removed from the ISR."),
        new(ReplicaSocketTimeoutMs, ConfigType.Int, "30000", null, High,
            "Network timeout of a follower's fetch requests to its leader."),
        new(ReplicaFetchMaxBytes, ConfigType.Int, "1048576", AtLeast(0), Medium,
            "Bytes a follower asks for per partition per fetch (a larger first batch is still returned whole)."),
        new(ReplicaFetchWaitMaxMs, ConfigType.Int, "500", null, High,
            "How long a follower's fetch may wait at the leader for new data."),
        new(ReplicaFetchMinBytes, ConfigType.Int, "1", null, High,
            "Bytes a follower's fetch waits for before the leader answers early."),
        new(ReplicaFetchResponseMaxBytes, ConfigType.Int, "10485760", AtLeast(0), Medium,
            "Bytes a follower asks for per fetch across all partitions."),
        new(ReplicaFetchBackoffMs, ConfigType.Int, "1000", AtLeast(0), Medium,
            "Pause before a follower retries after a fetch error."),
        new(NumReplicaFetchers, ConfigType.Int, "1", AtLeast(1), High,
            "Fetcher loops per leader broker; partitions from one leader are spread over them."),
        new(ReplicaHighWatermarkCheckpointIntervalMs, ConfigType.Long, "5000", null, High,
            "How often each log directory's high-watermark checkpoint is written."),
        new(AutoLeaderRebalanceEnable, ConfigType.Boolean, "true", null, High,
            "Whether the controller moves leadership back to preferred replicas when leadership is unbalanced."),
        new(LeaderImbalancePerBrokerPercentage, ConfigType.Int, "10", null, High,
            "Percentage of a broker's partitions led by a non-preferred replica above which the controller rebalances."),
        new(LeaderImbalanceCheckIntervalSeconds, ConfigType.Long, "300", null, High,
            "How often the controller checks leader balance."),
        new(UncleanLeaderElectionEnable, ConfigType.Boolean, "false", null, High,
            "Whether a replica outside the ISR may become leader as a last resort, losing acknowledged data."),
        new(ControlledShutdownEnable, ConfigType.Boolean, "true", null, Medium,
            "Whether a stopping broker first asks the controller to move its leaderships elsewhere."),
        new(ControlledShutdownMaxRetries, ConfigType.Int, "3", null, Medium,
            "How many times a controlled shutdown is retried before the broker stops anyway."),
        new(ControlledShutdownRetryBackoffMs, ConfigType.Long, "5000", null, Medium,
            "Pause between controlled shutdown attempts."),

        // Group coordinator
        new(GroupMinSessionTimeoutMs, ConfigType.Int, "6000", null, Medium,
            "Smallest session.timeout.ms a consumer may ask for."),
        new(GroupMaxSessionTimeoutMs, ConfigType.Int, "1800000", null, Medium,
            "Largest session.timeout.ms a consumer may ask for."),
        new(GroupInitialRebalanceDelayMs, ConfigType.Int, "3000", null, Medium,
            "How long a new, empty group waits for more members before its first rebalance."),
        new(GroupMaxSize, ConfigType.Int, "2147483647", AtLeast(1), Medium,
            "Most members one consumer group may have."),

        // Offsets
        new(OffsetMetadataMaxBytes, ConfigType.Int, "4096", null, High,
            "Longest metadata string a consumer may store with a committed offset."),
        new(OffsetsTopicReplicationFactor, ConfigType.Short, "3", AtLeast(1), High,
            "Replication factor of __consumer_offsets; it is not created until this many brokers are alive."),
        new(OffsetsTopicNumPartitions, ConfigType.Int, "50", AtLeast(1), High,
            "Partitions of __consumer_offsets; fix it before first use, as group placement depends on it."),
        new(OffsetsTopicSegmentBytes, ConfigType.Int, "104857600", AtLeast(1), High,
            "Segment size of __consumer_offsets, kept small so compaction and loading stay fast."),
        new(OffsetsRetentionMinutes, ConfigType.Int, "10080", AtLeast(1), High,
            "How long the committed offsets of an empty group (or a standalone consumer's last commit) are kept."),
        new(OffsetsRetentionCheckIntervalMs, ConfigType.Long, "600000", AtLeast(1), High,
            "How often expired committed offsets are removed."),
        new(OffsetsCommitTimeoutMs, ConfigType.Int, "5000", AtLeast(1), High,
            "How long an offset commit waits for __consumer_offsets replicas before failing."),
        new(OffsetsCommitRequiredAcks, ConfigType.Short, "-1", null, High,
            "Acks an offset commit needs; keep -1 (all in-sync replicas)."),

        // Transactions
        new(TransactionalIdExpirationMs, ConfigType.Int, "604800000", AtLeast(1), High,
            "Idle time after which a transactional id, and a producer id's state, is forgotten."),
        new(TransactionMaxTimeoutMs, ConfigType.Int, "900000", AtLeast(1), High,
            "Largest transaction timeout a producer may ask for."),
        new(TransactionStateLogMinIsr, ConfigType.Int, "2", AtLeast(1), High,
            "min.insync.replicas of __transaction_state."),
        new(TransactionStateLogReplicationFactor, ConfigType.Short, "3", AtLeast(1), High,
            "Replication factor of __transaction_state; it is not created until this many brokers are alive."),
        new(TransactionStateLogNumPartitions, ConfigType.Int, "50", AtLeast(1), High,
            "Partitions of __transaction_state; fix it before first use."),
        new(TransactionStateLogSegmentBytes, ConfigType.Int, "104857600", AtLeast(1), High,
            "Segment size of __transaction_state."),

        // Fetch
        new(MaxIncrementalFetchSessionCacheSlots, ConfigType.Int, "1000", AtLeast(0), Medium,
            "Most incremental fetch sessions the broker keeps at once."),
        new(FetchMaxBytes, ConfigType.Int, "57671680", AtLeast(1024), Medium,
            "Most bytes the broker returns for one fetch request."),
    ];

    /// <summary>The parsed default of <paramref name="key"/>, or null when it has none.</summary>
    public static object? ParseDefault(ConfigKey key) => key.DefaultValue is null ? null : key.Parse(key.DefaultValue);
}
