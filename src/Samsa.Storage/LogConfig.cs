using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>
/// The topic-level settings one partition log runs with, typed and with Kafka's defaults. Immutable:
/// a config change makes a new instance. Mapping from <c>key=value</c> properties (and broker-level
/// <c>log.*</c> defaults) belongs to the broker; the key names are declared here, once.
/// </summary>
public sealed record LogConfig
{
    public const string SegmentBytesKey = "segment.bytes";
    public const string SegmentMsKey = "segment.ms";
    public const string SegmentJitterMsKey = "segment.jitter.ms";
    public const string SegmentIndexBytesKey = "segment.index.bytes";
    public const string IndexIntervalBytesKey = "index.interval.bytes";
    public const string FlushMessagesKey = "flush.messages";
    public const string FlushMsKey = "flush.ms";
    public const string RetentionMsKey = "retention.ms";
    public const string RetentionBytesKey = "retention.bytes";
    public const string CleanupPolicyKey = "cleanup.policy";
    public const string DeleteRetentionMsKey = "delete.retention.ms";
    public const string MinCompactionLagMsKey = "min.compaction.lag.ms";
    public const string MinCleanableDirtyRatioKey = "min.cleanable.dirty.ratio";
    public const string MaxMessageBytesKey = "max.message.bytes";
    public const string FileDeleteDelayMsKey = "file.delete.delay.ms";
    public const string MessageTimestampTypeKey = "message.timestamp.type";
    public const string PreallocateKey = "preallocate";

    /// <summary>Kafka's smallest legal <c>segment.bytes</c> (a v0 record's overhead).</summary>
    public const int MinSegmentBytes = 14;

    /// <summary>Kafka's smallest legal <c>segment.index.bytes</c>.</summary>
    public const int MinSegmentIndexBytes = 4;

    /// <summary>Every default, as Kafka ships them.</summary>
    public static LogConfig Default { get; } = new();

    /// <summary><c>segment.bytes</c>: the active segment rolls before it would grow past this. Default 1 GiB.</summary>
    public int SegmentBytes { get; init; } = 1024 * 1024 * 1024;

    /// <summary><c>segment.ms</c>: the active segment rolls this long after its first append. Default 7 days.</summary>
    public long SegmentMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary>
    /// <c>segment.jitter.ms</c>: each segment rolls a random amount, up to this (and less than
    /// segment.ms), before segment.ms, so the segments of many partitions created together do not
    /// all roll at once. Default 0.
    /// </summary>
    public long SegmentJitterMs { get; init; }

    /// <summary><c>segment.index.bytes</c>: capacity of each .index/.timeindex; a full one rolls the segment. Default 10 MiB.</summary>
    public int SegmentIndexBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary><c>index.interval.bytes</c>: an offset index entry once more than this many bytes were appended since the last. Default 4096.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary><c>flush.messages</c>: fsync after this many appended records. Default Long.MaxValue (leave it to the OS and replication).</summary>
    public long FlushMessages { get; init; } = long.MaxValue;

    /// <summary><c>flush.ms</c>: fsync when the oldest unflushed append is this old. Default Long.MaxValue.</summary>
    public long FlushMs { get; init; } = long.MaxValue;

    /// <summary><c>retention.ms</c>: delete segments whose newest timestamp is older than this; -1 keeps forever. Default 7 days.</summary>
    public long RetentionMs { get; init; } = 7L * 24 * 60 * 60 * 1000;

    /// <summary><c>retention.bytes</c>: delete oldest segments while the log stays at least this big; -1 (default) is no limit.</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary><c>cleanup.policy</c>: delete, compact or both. Default delete.</summary>
    public CleanupPolicy CleanupPolicy { get; init; } = CleanupPolicy.Delete;

    /// <summary><c>delete.retention.ms</c>: how long compaction keeps tombstones. Default 1 day.</summary>
    public long DeleteRetentionMs { get; init; } = 24L * 60 * 60 * 1000;

    /// <summary><c>min.compaction.lag.ms</c>: a record stays uncompacted at least this long after its timestamp. Default 0.</summary>
    public long MinCompactionLagMs { get; init; }

    /// <summary><c>min.cleanable.dirty.ratio</c>: compact once the uncompacted share of the log reaches this. Default 0.5.</summary>
    public double MinCleanableDirtyRatio { get; init; } = 0.5;

    /// <summary><c>max.message.bytes</c>: the largest batch the log accepts. Default 1048588.</summary>
    public int MaxMessageBytes { get; init; } = 1048588;

    /// <summary><c>file.delete.delay.ms</c>: how long a removed segment lingers as <c>.deleted</c> for readers still on it. Default 60000.</summary>
    public long FileDeleteDelayMs { get; init; } = 60000;

    /// <summary><c>message.timestamp.type</c>: CreateTime (default) or LogAppendTime.</summary>
    public TimestampType MessageTimestampType { get; init; } = TimestampType.CreateTime;

    /// <summary><c>preallocate</c>: preallocate segment files. Default false.</summary>
    public bool Preallocate { get; init; }

    /// <summary>How many 8-byte offset index entries fit in <see cref="SegmentIndexBytes"/>.</summary>
    internal int MaxOffsetIndexEntries => SegmentIndexBytes / OffsetIndexEntrySize;

    /// <summary>How many 12-byte time index entries fit in <see cref="SegmentIndexBytes"/>.</summary>
    internal int MaxTimeIndexEntries => SegmentIndexBytes / TimeIndexEntrySize;

    internal const int OffsetIndexEntrySize = 8;
    internal const int TimeIndexEntrySize = 12;

    /// <summary>A new segment's share of <see cref="SegmentJitterMs"/>: uniform in [0, min(segment.jitter.ms, segment.ms)), as Kafka's randomSegmentJitter.</summary>
    internal long RandomSegmentJitter() => SegmentJitterMs <= 0 ? 0 : Random.Shared.NextInt64(Math.Min(SegmentJitterMs, SegmentMs));

    /// <summary>Throws <see cref="ArgumentException"/> naming the first key whose value Kafka would reject.</summary>
    public void Validate()
    {
        Require(SegmentBytes >= MinSegmentBytes, SegmentBytesKey, SegmentBytes, $"at least {MinSegmentBytes}");
        Require(SegmentMs >= 1, SegmentMsKey, SegmentMs, "at least 1");
        Require(SegmentJitterMs >= 0, SegmentJitterMsKey, SegmentJitterMs, "at least 0");
        Require(SegmentIndexBytes >= MinSegmentIndexBytes, SegmentIndexBytesKey, SegmentIndexBytes, $"at least {MinSegmentIndexBytes}");
        Require(IndexIntervalBytes >= 0, IndexIntervalBytesKey, IndexIntervalBytes, "at least 0");
        Require(FlushMessages >= 1, FlushMessagesKey, FlushMessages, "at least 1");
        Require(FlushMs >= 0, FlushMsKey, FlushMs, "at least 0");
        Require(RetentionMs >= -1, RetentionMsKey, RetentionMs, "-1 or more");
        Require(RetentionBytes >= -1, RetentionBytesKey, RetentionBytes, "-1 or more");
        Require(
            CleanupPolicy != CleanupPolicy.None && (CleanupPolicy & ~(CleanupPolicy.Delete | CleanupPolicy.Compact)) == 0,
            CleanupPolicyKey,
            (long)CleanupPolicy,
            "delete, compact or both");
        Require(DeleteRetentionMs >= 0, DeleteRetentionMsKey, DeleteRetentionMs, "at least 0");
        Require(MinCompactionLagMs >= 0, MinCompactionLagMsKey, MinCompactionLagMs, "at least 0");
        if (!(MinCleanableDirtyRatio >= 0 && MinCleanableDirtyRatio <= 1))
        {
            throw new ArgumentException($"Invalid value {MinCleanableDirtyRatio} for configuration {MinCleanableDirtyRatioKey}: must be between 0 and 1.", MinCleanableDirtyRatioKey);
        }

        Require(MaxMessageBytes >= 0, MaxMessageBytesKey, MaxMessageBytes, "at least 0");
        Require(FileDeleteDelayMs >= 0, FileDeleteDelayMsKey, FileDeleteDelayMs, "at least 0");
        Require(
            MessageTimestampType is TimestampType.CreateTime or TimestampType.LogAppendTime,
            MessageTimestampTypeKey,
            (long)MessageTimestampType,
            "CreateTime or LogAppendTime");
    }

    private static void Require(bool condition, string key, long value, string expected)
    {
        if (!condition)
        {
            throw new ArgumentException($"Invalid value {value} for configuration {key}: must be {expected}.", key);
        }
    }
}
