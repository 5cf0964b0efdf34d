using Samsa.Broker.Partitions;
using Samsa.Storage;
using Samsa.Storage.Checkpoints;

namespace Samsa.Broker.Replication;

/// <summary>
/// The high watermarks of the hosted partitions in the log dir's replication-offset-checkpoint
/// (Kafka's format and name), written every replica.high.watermark.checkpoint.interval.ms and on
/// shutdown, read once at start: a restarted replica starts from its last known high watermark
/// instead of its log start, so a broker that leads again right after a restart does not show
/// consumers an older end. A checkpoint is never ahead of the truth (high watermarks only grow on
/// a leader), so a stale one is only conservative.
/// </summary>
internal sealed class HighWatermarkCheckpoint
{
    private readonly OffsetCheckpointFile _file;
    private readonly IReadOnlyDictionary<TopicPartition, long> _atStart;
    private readonly Lock _writeLock = new();

    /// <exception cref="StorageException">The existing checkpoint is corrupt or unreadable.</exception>
    public HighWatermarkCheckpoint(string logDir)
    {
        _file = new OffsetCheckpointFile(Path.Combine(logDir, OffsetCheckpointFile.ReplicationOffsetFileName));
        _atStart = _file.Read();
    }

    /// <summary>The high watermark checkpointed for <paramref name="id"/> before this start, or null.</summary>
    public long? Initial(TopicPartition id) => _atStart.TryGetValue(id, out long offset) ? offset : null;

    /// <summary>Replaces the file with the current high watermark of every partition in <paramref name="partitions"/>.</summary>
    /// <exception cref="StorageException">The file could not be written; the previous one is intact.</exception>
    public void Write(IEnumerable<Partition> partitions)
    {
        var offsets = new List<KeyValuePair<TopicPartition, long>>();
        foreach (Partition partition in partitions)
        {
            offsets.Add(new KeyValuePair<TopicPartition, long>(partition.Id, partition.HighWatermark));
        }

        lock (_writeLock)
        {
            _file.Write(offsets);
        }
    }
}
