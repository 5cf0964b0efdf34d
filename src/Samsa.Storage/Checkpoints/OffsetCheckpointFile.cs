using Samsa.Protocol.Primitives;

namespace Samsa.Storage.Checkpoints;

/// <summary>
/// An offset per partition, in a log dir: recovery-point-offset-checkpoint,
/// log-start-offset-checkpoint, replication-offset-checkpoint. Kafka's text format (<c>0</c>, N, then
/// N lines <c>topic partition offset</c>), so a log dir moves between Kafka and Samsa. The log
/// manager owns each file and writes it from one thread at a time; each write replaces the whole
/// file atomically.
/// </summary>
public sealed class OffsetCheckpointFile
{
    public const string RecoveryPointFileName = "recovery-point-offset-checkpoint";
    public const string LogStartOffsetFileName = "log-start-offset-checkpoint";
    public const string ReplicationOffsetFileName = "replication-offset-checkpoint";

    public OffsetCheckpointFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    public string Path { get; }

    /// <summary>The offsets in the file; empty when it does not exist yet.</summary>
    /// <exception cref="StorageException">The file is corrupt or unreadable.</exception>
    public IReadOnlyDictionary<TopicPartition, long> Read()
    {
        List<string> lines = CheckpointText.ReadEntryLines(Path);
        Dictionary<TopicPartition, long> offsets = new(lines.Count);
        Span<Range> fields = stackalloc Range[3];
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (!CheckpointText.TrySplit(line, fields)
                || !CheckpointText.TryParseInt32(line.AsSpan(fields[1]), out int partition)
                || partition < 0
                || !CheckpointText.TryParseInt64(line.AsSpan(fields[2]), out long offset))
            {
                throw CheckpointText.MalformedLine(Path, i, line);
            }

            // A partition listed twice keeps its last offset, as Kafka's reader does.
            offsets[new TopicPartition(line[fields[0]], partition)] = offset;
        }

        return offsets;
    }

    /// <summary>Replaces the file with <paramref name="offsets"/>, durably.</summary>
    /// <exception cref="StorageException">The file could not be written; the previous one is intact.</exception>
    public void Write(IEnumerable<KeyValuePair<TopicPartition, long>> offsets)
    {
        ArgumentNullException.ThrowIfNull(offsets);

        // Counted first because the count line precedes the entries; a materialized copy also keeps
        // the count honest if the caller hands us a lazily computed sequence.
        List<KeyValuePair<TopicPartition, long>> entries = [.. offsets];
        using PooledBufferWriter writer = new(64 + (entries.Count * 48));
        CheckpointText.WriteHeader(writer, entries.Count);
        foreach (KeyValuePair<TopicPartition, long> entry in entries)
        {
            string topic = entry.Key.Topic;
            if (string.IsNullOrEmpty(topic) || topic.AsSpan().IndexOfAny(" \t\r\n") >= 0)
            {
                throw new ArgumentException($"Topic name '{topic}' cannot be written to a checkpoint file", nameof(offsets));
            }

            CheckpointText.WriteString(writer, topic);
            CheckpointText.WriteByte(writer, (byte)' ');
            CheckpointText.WriteInt64(writer, entry.Key.Partition);
            CheckpointText.WriteByte(writer, (byte)' ');
            CheckpointText.WriteInt64(writer, entry.Value);
            CheckpointText.WriteByte(writer, (byte)'\n');
        }

        AtomicFile.Write(Path, writer.WrittenSpan);
    }
}
