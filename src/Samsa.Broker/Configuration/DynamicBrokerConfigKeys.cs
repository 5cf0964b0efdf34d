using System.Collections.Frozen;
using B = Samsa.Broker.Configuration.BrokerConfigDefinition;

namespace Samsa.Broker.Configuration;

/// <summary>
/// Which broker keys may change while the broker runs (AlterConfigs on a BROKER resource), after
/// Kafka 3.1's <c>DynamicBrokerConfig.AllDynamicConfigs</c>: the broker names of the topic-config
/// synonyms (<c>LogConfig.TopicConfigSynonyms</c>: log.retention.ms, log.segment.bytes,
/// message.max.bytes, min.insync.replicas, compression.type, ...), the cleaner's
/// (<c>LogCleaner.ReconfigurableConfigs</c>), the thread pools' (<c>DynamicThreadPool</c>) and the
/// connection limits (<c>SocketServer.ReconfigurableConfigs</c>), restricted to keys Samsa's table
/// has. As in Kafka, only a group's main name is dynamic: log.retention.ms but not
/// log.retention.hours or .minutes, log.roll.ms but not log.roll.hours. Kafka's per-broker-only
/// listener and SSL/SASL keys are left out: Samsa cannot rebind listeners while it runs.
/// Every key here may be set per broker or as a cluster-wide default.
/// </summary>
internal static class DynamicBrokerConfigKeys
{
    public static FrozenSet<string> All { get; } = FrozenSet.Create(
        StringComparer.Ordinal,

        // Topic defaults (DynamicLogConfig): applied to every log without a topic override at once.
        B.LogSegmentBytes,
        B.LogRollMs,
        B.LogRollJitterMs,
        B.LogIndexSizeMaxBytes,
        B.LogFlushIntervalMessages,
        B.LogFlushIntervalMs,
        B.LogRetentionBytes,
        B.LogRetentionMs,
        B.MessageMaxBytes,
        B.LogIndexIntervalBytes,
        B.LogCleanerDeleteRetentionMs,
        B.LogCleanerMinCompactionLagMs,
        B.LogSegmentDeleteDelayMs,
        B.LogCleanupPolicy,
        B.UncleanLeaderElectionEnable,
        B.MinInsyncReplicas,
        B.CompressionType,
        B.LogPreallocate,
        B.LogMessageTimestampType,
        B.LogMessageTimestampDifferenceMaxMs,

        // Log cleaner.
        B.LogCleanerThreads,
        B.LogCleanerBackoffMs,

        // Thread pools.
        B.NumIoThreads,
        B.NumNetworkThreads,
        B.NumReplicaFetchers,
        B.NumRecoveryThreadsPerDataDir,
        B.BackgroundThreads,

        // Connection limits.
        B.MaxConnections,
        B.MaxConnectionsPerIp,
        B.MaxConnectionsPerIpOverrides);

    public static bool IsDynamic(string name) => All.Contains(name);

    /// <summary>
    /// Kafka's <c>brokerConfigSynonyms</c>: the keys that set the same thing in other units, main
    /// name first (log.retention.ms, .minutes, .hours); else the key alone.
    /// </summary>
    public static IReadOnlyList<string> Synonyms(string name) => name switch
    {
        B.LogRollMs or B.LogRollHours => RollSynonyms,
        B.LogRollJitterMs or B.LogRollJitterHours => RollJitterSynonyms,
        B.LogFlushIntervalMs => FlushSynonyms,
        B.LogRetentionMs or B.LogRetentionMinutes or B.LogRetentionHours => RetentionSynonyms,
        _ => [name],
    };

    /// <summary>Whether any key of <paramref name="name"/>'s synonym group is dynamic: Kafka's read_only is the opposite.</summary>
    public static bool AnySynonymDynamic(string name)
    {
        foreach (string synonym in Synonyms(name))
        {
            if (All.Contains(synonym))
            {
                return true;
            }
        }

        return false;
    }

    private static readonly string[] RollSynonyms = [B.LogRollMs, B.LogRollHours];
    private static readonly string[] RollJitterSynonyms = [B.LogRollJitterMs, B.LogRollJitterHours];

    // log.flush.scheduler.interval.ms is log.flush.interval.ms's default, so it follows it.
    private static readonly string[] FlushSynonyms = [B.LogFlushIntervalMs, B.LogFlushSchedulerIntervalMs];
    private static readonly string[] RetentionSynonyms = [B.LogRetentionMs, B.LogRetentionMinutes, B.LogRetentionHours];
}
