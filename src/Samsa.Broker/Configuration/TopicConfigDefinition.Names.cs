namespace Samsa.Broker.Configuration;

/// <summary>
/// Topic-level key names that neither Storage's <see cref="Samsa.Storage.LogConfig"/> (the keys a log
/// acts on) nor <see cref="BrokerConfigDefinition"/> (keys spelled the same at both levels, such as
/// <c>min.insync.replicas</c>) already declare. Spelled once, here.
/// </summary>
internal static partial class TopicConfigDefinition
{
    public const string MaxCompactionLagMs = "max.compaction.lag.ms";
    public const string MessageFormatVersion = "message.format.version";
    public const string MessageTimestampDifferenceMaxMs = "message.timestamp.difference.max.ms";
    public const string MessageTimestampBeforeMaxMs = "message.timestamp.before.max.ms";
    public const string MessageTimestampAfterMaxMs = "message.timestamp.after.max.ms";
    public const string MessageDownconversionEnable = "message.downconversion.enable";
    public const string LeaderReplicationThrottledReplicas = "leader.replication.throttled.replicas";
    public const string FollowerReplicationThrottledReplicas = "follower.replication.throttled.replicas";
}
