namespace Samsa.Storage.Cleaning;

/// <summary>
/// Broker-level settings of the log cleaner (compaction), with Kafka's names and defaults. The
/// broker maps <c>log.cleaner.*</c> properties onto it; the key names are declared here, once.
/// </summary>
public sealed record LogCleanerConfig
{
    public const string EnableKey = "log.cleaner.enable";
    public const string DedupeBufferSizeKey = "log.cleaner.dedupe.buffer.size";

    /// <summary>The smallest dedupe buffer we accept: room for a useful number of keys.</summary>
    public const long MinDedupeBufferSize = 1024 * 1024;

    public static LogCleanerConfig Default { get; } = new();

    /// <summary><c>log.cleaner.enable</c>: compact logs whose cleanup.policy includes compact. Default true.</summary>
    public bool Enable { get; init; } = true;

    /// <summary>
    /// <c>log.cleaner.dedupe.buffer.size</c>: memory for the key → offset map of one cleaning pass
    /// (24 bytes per key). A pass cleans only as much of the dirty log as the map holds; the rest
    /// waits for the next pass. Default 128 MiB, allocated only as far as a pass needs it.
    /// </summary>
    public long DedupeBufferSize { get; init; } = 128L * 1024 * 1024;

    /// <summary>Throws <see cref="ArgumentException"/> naming the key whose value is out of range.</summary>
    public void Validate()
    {
        if (DedupeBufferSize < MinDedupeBufferSize || DedupeBufferSize / OffsetMap.BytesPerEntry > int.MaxValue)
        {
            throw new ArgumentException(
                $"Invalid value {DedupeBufferSize} for configuration {DedupeBufferSizeKey}: must be at least {MinDedupeBufferSize}.",
                DedupeBufferSizeKey);
        }
    }
}
