using Samsa.Broker.Configuration;

namespace Samsa.Broker.Groups;

/// <summary>The broker settings the group coordinator reads, in Kafka's units (milliseconds, bytes).</summary>
internal sealed record GroupCoordinatorOptions
{
    /// <summary>Kafka's fixed session timeout for a member that joined but has not been answered yet (KIP-394).</summary>
    public const int DefaultNewMemberJoinTimeoutMs = 5 * 60 * 1000;

    /// <summary>How often the coordinator checks its deadlines; the granularity of every group timeout.</summary>
    public static readonly TimeSpan TimerTick = TimeSpan.FromMilliseconds(50);

    public int MinSessionTimeoutMs { get; init; } = 6000;

    public int MaxSessionTimeoutMs { get; init; } = 1_800_000;

    public int InitialRebalanceDelayMs { get; init; } = 3000;

    public int MaxSize { get; init; } = int.MaxValue;

    public int OffsetMetadataMaxBytes { get; init; } = 4096;

    public int OffsetsTopicNumPartitions { get; init; } = 50;

    public short OffsetsTopicReplicationFactor { get; init; } = 3;

    public int OffsetsTopicSegmentBytes { get; init; } = 104_857_600;

    public long OffsetsRetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    public long OffsetsRetentionCheckIntervalMs { get; init; } = 600_000;

    public int OffsetsCommitTimeoutMs { get; init; } = 5000;

    public int NewMemberJoinTimeoutMs { get; init; } = DefaultNewMemberJoinTimeoutMs;

    /// <summary>group.consumer.heartbeat.interval.ms: how often consumer-protocol members heartbeat.</summary>
    public int ConsumerHeartbeatIntervalMs { get; init; } = 5000;

    /// <summary>group.consumer.session.timeout.ms: a consumer-protocol member silent this long is removed.</summary>
    public int ConsumerSessionTimeoutMs { get; init; } = 45_000;

    /// <summary>group.consumer.assignors: the server-side assignors members may name; the first is the default.</summary>
    public IReadOnlyList<string> ConsumerAssignors { get; init; } = [ConsumerGroupAssignor.UniformName, ConsumerGroupAssignor.RangeName];

    /// <summary>min.insync.replicas for the acks=all writes of group records.</summary>
    public int MinInsyncReplicas { get; init; } = 1;

    public static GroupCoordinatorOptions From(BrokerOptions options) => new()
    {
        MinSessionTimeoutMs = options.GroupMinSessionTimeoutMs,
        MaxSessionTimeoutMs = options.GroupMaxSessionTimeoutMs,
        InitialRebalanceDelayMs = options.GroupInitialRebalanceDelayMs,
        MaxSize = options.GroupMaxSize,
        ConsumerHeartbeatIntervalMs = options.GroupConsumerHeartbeatIntervalMs,
        ConsumerSessionTimeoutMs = options.GroupConsumerSessionTimeoutMs,
        ConsumerAssignors = options.GroupConsumerAssignors.Count > 0 ? options.GroupConsumerAssignors : [ConsumerGroupAssignor.UniformName],
        OffsetMetadataMaxBytes = options.OffsetMetadataMaxBytes,
        OffsetsTopicNumPartitions = options.OffsetsTopicNumPartitions,
        OffsetsTopicReplicationFactor = options.OffsetsTopicReplicationFactor,
        OffsetsTopicSegmentBytes = options.OffsetsTopicSegmentBytes,
        OffsetsRetentionMs = options.OffsetsRetentionMinutes * 60L * 1000,
        OffsetsRetentionCheckIntervalMs = options.OffsetsRetentionCheckIntervalMs,
        OffsetsCommitTimeoutMs = options.OffsetsCommitTimeoutMs,
        MinInsyncReplicas = Math.Max(1, options.MinInsyncReplicas),
    };
}
