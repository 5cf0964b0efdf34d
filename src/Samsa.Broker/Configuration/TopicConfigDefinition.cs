using System.Collections.Frozen;
using System.Globalization;
using Samsa.Protocol.Records;
using Samsa.Storage;
using static Samsa.Broker.Configuration.ConfigImportance;
using static Samsa.Broker.Configuration.ConfigValidator;
using B = Samsa.Broker.Configuration.BrokerConfigDefinition;

namespace Samsa.Broker.Configuration;

/// <summary>
/// The one table of topic-level config keys (Kafka's <c>LogConfig</c> definition): what CreateTopics,
/// AlterConfigs and IncrementalAlterConfigs accept, what DescribeConfigs lists for a topic, and how
/// a topic's overrides turn the broker's defaults into the <see cref="LogConfig"/> its partition
/// logs run with. Names, types, defaults and validators are Kafka's (3.x; the
/// <c>message.timestamp.before/after.max.ms</c> pair is 3.6's). Built once; immutable.
/// </summary>
internal static partial class TopicConfigDefinition
{
    private const long LongMax = long.MaxValue;

    /// <summary>Every topic key, sorted by name as Kafka lists them.</summary>
    public static IReadOnlyList<TopicConfigKey> Keys { get; } = BuildTable();

    private static readonly FrozenDictionary<string, TopicConfigKey> ByName =
        Keys.ToFrozenDictionary(k => k.Name, StringComparer.Ordinal);

    public static bool TryGetKey(string name, out TopicConfigKey key) => ByName.TryGetValue(name, out key!);

    /// <summary>
    /// Checks a topic's overrides. Returns null when every key is known and every value valid, else
    /// Kafka's message naming the first offending key (<c>Unknown topic config name: x</c>,
    /// <c>Invalid value abc for configuration retention.ms: Not a number of type LONG</c>).
    /// </summary>
    public static string? Validate(IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        long? minLag = null;
        long? maxLag = null;
        foreach (KeyValuePair<string, string> pair in overrides)
        {
            if (!ByName.TryGetValue(pair.Key, out TopicConfigKey? key))
            {
                return $"Unknown topic config name: {pair.Key}";
            }

            if (pair.Value is null)
            {
                return $"Null value not supported for topic config {pair.Key}";
            }

            if (!key.Key.TryParse(pair.Value, out object? value, out string? error))
            {
                return error;
            }

            if (pair.Key == LogConfig.MinCompactionLagMsKey)
            {
                minLag = (long)value;
            }
            else if (pair.Key == MaxCompactionLagMs)
            {
                maxLag = (long)value;
            }
        }

        // Kafka's one cross-key rule for topics.
        if (minLag is { } min && maxLag is { } max && min > max)
        {
            return $"conflict topic config setting {LogConfig.MinCompactionLagMsKey} ({min}) > {MaxCompactionLagMs} ({max})";
        }

        return null;
    }

    /// <summary>
    /// The log config of a topic: <paramref name="brokerDefaults"/> (from server.properties) with
    /// the topic's overrides applied. Entries that are unknown or invalid (an override written by
    /// something else into the coordination store) are skipped, so a bad znode never stops a log.
    /// </summary>
    public static LogConfig BuildLogConfig(LogConfig brokerDefaults, IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(brokerDefaults);
        ArgumentNullException.ThrowIfNull(overrides);
        LogConfig config = brokerDefaults;
        foreach (KeyValuePair<string, string> pair in overrides)
        {
            if (ByName.TryGetValue(pair.Key, out TopicConfigKey? key)
                && key.ApplyTo is { } apply
                && pair.Value is not null
                && key.Key.TryParse(pair.Value, out object? value, out _))
            {
                config = apply(config, value);
            }
        }

        return config;
    }

    /// <summary>A parsed value as Kafka prints it (<c>ConfigDef.convertToString</c>): lists comma-joined, numbers invariant.</summary>
    public static string Format(object value) => value switch
    {
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        IReadOnlyList<string> list => string.Join(',', list),
        _ => value.ToString() ?? string.Empty,
    };

    private static TopicConfigKey[] BuildTable()
    {
        TopicConfigKey[] keys =
        [
            new(new(LogConfig.CleanupPolicyKey, ConfigType.List, "delete", EachOneOf("compact", "delete"), Medium,
                    "delete removes old segments by retention time or size; compact keeps the latest record of every key. Both may be given."),
                [B.LogCleanupPolicy],
                o => PolicyList(o.LogCleanupPolicy),
                (c, v) => c with { CleanupPolicy = ToPolicy((IReadOnlyList<string>)v) }),
            new(Shared(B.CompressionType, "producer",
                    "Codec of stored batches: producer keeps what the producer sent, uncompressed or a codec recompresses."),
                [B.CompressionType],
                o => o.CompressionType.ToString().ToLowerInvariant(),
                null),
            new(new(LogConfig.DeleteRetentionMsKey, ConfigType.Long, "86400000", AtLeast(0), Medium,
                    "How long a compacted topic keeps delete markers (tombstones), so consumers reading from the start see the delete."),
                [B.LogCleanerDeleteRetentionMs],
                o => o.LogCleanerDeleteRetentionMs,
                (c, v) => c with { DeleteRetentionMs = (long)v }),
            new(new(LogConfig.FileDeleteDelayMsKey, ConfigType.Long, "60000", AtLeast(0), Medium,
                    "How long a segment removed from the log waits as *.deleted before its files go, for readers still on it."),
                [B.LogSegmentDeleteDelayMs],
                o => o.LogSegmentDeleteDelayMs,
                (c, v) => c with { FileDeleteDelayMs = (long)v }),
            new(new(LogConfig.FlushMessagesKey, ConfigType.Long, Text(LongMax), AtLeast(1), Medium,
                    "fsync the log after this many records; by default durability comes from replication and the OS."),
                [B.LogFlushIntervalMessages],
                o => o.LogFlushIntervalMessages,
                (c, v) => c with { FlushMessages = (long)v }),
            new(new(LogConfig.FlushMsKey, ConfigType.Long, Text(LongMax), AtLeast(0), Medium,
                    "fsync the log when its oldest unflushed record is this old (ms)."),
                [B.LogFlushIntervalMs, B.LogFlushSchedulerIntervalMs],
                o => o.LogFlushIntervalMs,
                (c, v) => c with { FlushMs = (long)v }),
            new(new(FollowerReplicationThrottledReplicas, ConfigType.List, string.Empty, ThrottledReplicasValidator.Instance, Medium,
                    "Replicas (partition:broker, or *) whose follower fetches are throttled; accepted, Samsa does not throttle yet."),
                [],
                _ => Array.Empty<string>(),
                null),
            new(new(LogConfig.IndexIntervalBytesKey, ConfigType.Int, "4096", AtLeast(0), Medium,
                    "Bytes appended between two offset index entries: smaller means a bigger index and shorter scans."),
                [B.LogIndexIntervalBytes],
                o => o.LogIndexIntervalBytes,
                (c, v) => c with { IndexIntervalBytes = (int)v }),
            new(new(LeaderReplicationThrottledReplicas, ConfigType.List, string.Empty, ThrottledReplicasValidator.Instance, Medium,
                    "Replicas (partition:broker, or *) whose leader-side fetches are throttled; accepted, Samsa does not throttle yet."),
                [],
                _ => Array.Empty<string>(),
                null),
            new(new(MaxCompactionLagMs, ConfigType.Long, Text(LongMax), AtLeast(1), Medium,
                    "Longest time a record stays ineligible for compaction."),
                [],
                _ => LongMax,
                null),
            new(new(LogConfig.MaxMessageBytesKey, ConfigType.Int, "1048588", AtLeast(0), Medium,
                    "Largest record batch (after compression) the topic accepts; larger ones fail with MESSAGE_TOO_LARGE."),
                [B.MessageMaxBytes],
                o => o.MessageMaxBytes,
                (c, v) => c with { MaxMessageBytes = (int)v }),
            new(new(MessageDownconversionEnable, ConfigType.Boolean, "true", null, Low,
                    "Whether old fetch versions get records converted down to their format; Samsa stores magic 2 only."),
                [],
                _ => true,
                null),
            new(new(MessageFormatVersion, ConfigType.String, "3.0-IV1", FormatVersionValidator.Instance, Medium,
                    "Deprecated since Kafka 3.0 and ignored: batches are always stored in format v2."),
                [],
                _ => "3.0-IV1",
                null),
            new(new(MessageTimestampAfterMaxMs, ConfigType.Long, Text(LongMax), AtLeast(0), Medium,
                    "How far in the future a record's CreateTime may be, relative to the broker's clock."),
                [],
                _ => LongMax,
                null),
            new(new(MessageTimestampBeforeMaxMs, ConfigType.Long, Text(LongMax), AtLeast(0), Medium,
                    "How far in the past a record's CreateTime may be, relative to the broker's clock."),
                [],
                _ => LongMax,
                null),
            new(new(MessageTimestampDifferenceMaxMs, ConfigType.Long, Text(LongMax), AtLeast(0), Medium,
                    "Largest allowed difference between a record's CreateTime and the broker's clock."),
                [B.LogMessageTimestampDifferenceMaxMs],
                o => o.LogMessageTimestampDifferenceMaxMs,
                null),
            new(new(LogConfig.MessageTimestampTypeKey, ConfigType.String, "CreateTime", OneOf("CreateTime", "LogAppendTime"), Medium,
                    "CreateTime keeps the producer's timestamps; LogAppendTime stamps each batch with the broker's clock."),
                [B.LogMessageTimestampType],
                o => o.LogMessageTimestampType.ToString(),
                (c, v) => c with { MessageTimestampType = (string)v == "LogAppendTime" ? TimestampType.LogAppendTime : TimestampType.CreateTime }),
            new(new(LogConfig.MinCleanableDirtyRatioKey, ConfigType.Double, "0.5", RatioValidator.Instance, Medium,
                    "Share of a compacted log that must be uncompacted before the cleaner works on it."),
                [],
                _ => 0.5d,
                (c, v) => c with { MinCleanableDirtyRatio = (double)v }),
            new(new(LogConfig.MinCompactionLagMsKey, ConfigType.Long, "0", AtLeast(0), Medium,
                    "Shortest time a record stays uncompacted."),
                [B.LogCleanerMinCompactionLagMs],
                o => o.LogCleanerMinCompactionLagMs,
                (c, v) => c with { MinCompactionLagMs = (long)v }),
            new(Shared(B.MinInsyncReplicas, "1",
                    "With acks=all, the fewest in-sync replicas that must have a batch; fewer fail the produce with NOT_ENOUGH_REPLICAS."),
                [B.MinInsyncReplicas],
                o => o.MinInsyncReplicas,
                null),
            new(new(LogConfig.PreallocateKey, ConfigType.Boolean, "false", null, Medium,
                    "Whether segment files are preallocated to their full size when created; accepted, Samsa grows them as they are written."),
                [B.LogPreallocate],
                o => o.LogPreallocate,
                (c, v) => c with { Preallocate = (bool)v }),
            new(new(LogConfig.RetentionBytesKey, ConfigType.Long, "-1", AtLeast(-1), Medium,
                    "Delete policy: oldest segments go while the partition stays at least this big; -1 means no size limit."),
                [B.LogRetentionBytes],
                o => o.LogRetentionBytes,
                (c, v) => c with { RetentionBytes = (long)v }),
            new(new(LogConfig.RetentionMsKey, ConfigType.Long, "604800000", AtLeast(-1), Medium,
                    "Delete policy: segments whose newest record is older than this (ms) go; -1 keeps them forever."),
                [B.LogRetentionMs, B.LogRetentionMinutes, B.LogRetentionHours],
                o => o.LogRetentionMs,
                (c, v) => c with { RetentionMs = (long)v }),
            new(new(LogConfig.SegmentBytesKey, ConfigType.Int, "1073741824", AtLeast(LogConfig.MinSegmentBytes), Medium,
                    "Size at which the active segment is closed and a new one started; retention removes whole segments."),
                [B.LogSegmentBytes],
                o => o.LogSegmentBytes,
                (c, v) => c with { SegmentBytes = (int)v }),
            new(new(LogConfig.SegmentIndexBytesKey, ConfigType.Int, "10485760", AtLeast(LogConfig.MinSegmentIndexBytes), Medium,
                    "Size of each segment's offset and time index; a full index rolls the segment."),
                [B.LogIndexSizeMaxBytes],
                o => o.LogIndexSizeMaxBytes,
                (c, v) => c with { SegmentIndexBytes = (int)v }),
            new(new(LogConfig.SegmentJitterMsKey, ConfigType.Long, "0", AtLeast(0), Medium,
                    "Random jitter subtracted from segment.ms so many partitions do not roll at once."),
                [B.LogRollJitterMs, B.LogRollJitterHours],
                o => o.LogRollJitterMs,
                (c, v) => c with { SegmentJitterMs = (long)v }),
            new(new(LogConfig.SegmentMsKey, ConfigType.Long, "604800000", AtLeast(1), Medium,
                    "Time after which the active segment is rolled even if not full, so retention can remove old data."),
                [B.LogRollMs, B.LogRollHours],
                o => o.LogRollMs,
                (c, v) => c with { SegmentMs = (long)v }),
            new(Shared(B.UncleanLeaderElectionEnable, "false",
                    "Whether a replica outside the ISR may become leader as a last resort, losing acknowledged data."),
                [B.UncleanLeaderElectionEnable],
                o => o.UncleanLeaderElectionEnable,
                null),
        ];
        Array.Sort(keys, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return keys;
    }

    /// <summary>A topic key spelled like its broker key: same type and validator, Kafka's topic default.</summary>
    private static ConfigKey Shared(string name, string defaultValue, string documentation)
    {
        ConfigKey broker = B.GetKey(name);
        return new ConfigKey(name, broker.Type, defaultValue, broker.Validator, Medium, documentation);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string[] PolicyList(CleanupPolicy policy) => policy switch
    {
        CleanupPolicy.Compact => ["compact"],
        CleanupPolicy.Compact | CleanupPolicy.Delete => ["compact", "delete"],
        _ => ["delete"],
    };

    private static CleanupPolicy ToPolicy(IReadOnlyList<string> items)
    {
        CleanupPolicy policy = CleanupPolicy.None;
        foreach (string item in items)
        {
            policy |= item == "compact" ? CleanupPolicy.Compact : CleanupPolicy.Delete;
        }

        return policy;
    }

    /// <summary>Kafka's <c>between(0, 1)</c> on a DOUBLE (the shared range validator is integral).</summary>
    private sealed class RatioValidator : ConfigValidator
    {
        public static readonly RatioValidator Instance = new();

        public override string? Check(object value)
        {
            double d = (double)value;
            if (d < 0)
            {
                return "Value must be at least 0";
            }

            return d > 1 ? "Value must be no more than 1" : null;
        }

        public override string Describe() => "[0,...,1]";
    }

    /// <summary>Kafka's <c>ThrottledReplicaListValidator</c>: <c>*</c>, or <c>partition:broker</c> pairs.</summary>
    private sealed class ThrottledReplicasValidator : ConfigValidator
    {
        public static readonly ThrottledReplicasValidator Instance = new();

        public override string? Check(object value)
        {
            var items = (IReadOnlyList<string>)value;
            if (items.Count == 1 && items[0] == "*")
            {
                return null;
            }

            foreach (string item in items)
            {
                int colon = item.IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0
                    || !int.TryParse(item.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                    || !int.TryParse(item.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    return "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";
                }
            }

            return null;
        }

        public override string Describe() => "[partitionId]:[brokerId],[partitionId]:[brokerId],...";
    }

    /// <summary>Kafka's <c>ApiVersionValidator</c>, loosely: a version such as 2.8, 3.0-IV1 or 0.10.2.</summary>
    private sealed class FormatVersionValidator : ConfigValidator
    {
        public static readonly FormatVersionValidator Instance = new();

        public override string? Check(object value)
        {
            string text = (string)value;
            int dash = text.IndexOf('-', StringComparison.Ordinal);
            string version = dash < 0 ? text : text[..dash];
            string[] parts = version.Split('.');
            bool ok = parts.Length is >= 2 and <= 4;
            foreach (string part in parts)
            {
                ok &= part.Length > 0 && int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out _);
            }

            if (dash >= 0)
            {
                string suffix = text[(dash + 1)..];
                ok &= suffix.StartsWith("IV", StringComparison.Ordinal)
                    && int.TryParse(suffix.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out _);
            }

            return ok ? null : $"Version `{text}` is not a valid version";
        }

        public override string Describe() => "[0.8.0, ..., 3.0-IV1]";
    }
}
