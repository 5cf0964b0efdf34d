using Samsa.Broker.Configuration;
using Samsa.Protocol.Compression;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The topic settings the produce path reads that are not the log's own (<see cref="Samsa.Storage.LogConfig"/>):
/// min.insync.replicas, compression.type and the CreateTime bounds. Built from the broker's
/// defaults and the topic's overrides whenever the overrides are read, so a produce request only
/// looks it up.
/// </summary>
internal sealed record TopicProducePolicy(
    int MinInsyncReplicas,
    BrokerCompressionType CompressionType,
    long TimestampBeforeMaxMs,
    long TimestampAfterMaxMs)
{
    /// <summary>Whether CreateTime records must be checked against the broker clock (both bounds default to unbounded).</summary>
    public bool ChecksTimestamps => TimestampBeforeMaxMs != long.MaxValue || TimestampAfterMaxMs != long.MaxValue;

    /// <summary>The codec batches are stored with, or null for <c>producer</c> (keep what was sent).</summary>
    public CompressionType? TargetCompression => CompressionType switch
    {
        BrokerCompressionType.Producer => null,
        BrokerCompressionType.Uncompressed => Samsa.Protocol.Compression.CompressionType.None,
        BrokerCompressionType.Gzip => Samsa.Protocol.Compression.CompressionType.Gzip,
        BrokerCompressionType.Snappy => Samsa.Protocol.Compression.CompressionType.Snappy,
        BrokerCompressionType.Lz4 => Samsa.Protocol.Compression.CompressionType.Lz4,
        _ => Samsa.Protocol.Compression.CompressionType.Zstd,
    };

    public static TopicProducePolicy FromBroker(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long difference = options.LogMessageTimestampDifferenceMaxMs;
        return new TopicProducePolicy(options.MinInsyncReplicas, options.CompressionType, difference, difference);
    }

    /// <summary>
    /// The broker's policy with the topic's overrides applied; invalid values are skipped as
    /// <see cref="TopicConfigDefinition.BuildLogConfig"/> skips them.
    /// </summary>
    public TopicProducePolicy WithOverrides(IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        TopicProducePolicy policy = this;
        long? difference = null;
        long? before = null;
        long? after = null;
        foreach (KeyValuePair<string, string> pair in overrides)
        {
            if (pair.Value is null
                || !TopicConfigDefinition.TryGetKey(pair.Key, out TopicConfigKey key)
                || !key.Key.TryParse(pair.Value, out object? value, out _))
            {
                continue;
            }

            switch (pair.Key)
            {
                case BrokerConfigDefinition.MinInsyncReplicas:
                    policy = policy with { MinInsyncReplicas = (int)value };
                    break;
                case BrokerConfigDefinition.CompressionType:
                    policy = policy with { CompressionType = Enum.Parse<BrokerCompressionType>((string)value, ignoreCase: true) };
                    break;
                case TopicConfigDefinition.MessageTimestampDifferenceMaxMs:
                    difference = (long)value;
                    break;
                case TopicConfigDefinition.MessageTimestampBeforeMaxMs:
                    before = (long)value;
                    break;
                case TopicConfigDefinition.MessageTimestampAfterMaxMs:
                    after = (long)value;
                    break;
            }
        }

        // Kafka 3.6 (KIP-937): a before/after bound left at its default (unbounded) falls back to
        // the deprecated difference bound, the topic's or else the broker's.
        long fallback = difference ?? policy.TimestampBeforeMaxMs;
        long fallbackAfter = difference ?? policy.TimestampAfterMaxMs;
        return policy with
        {
            TimestampBeforeMaxMs = before is { } b && b != long.MaxValue ? b : fallback,
            TimestampAfterMaxMs = after is { } a && a != long.MaxValue ? a : fallbackAfter,
        };
    }
}
