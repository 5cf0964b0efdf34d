using Samsa.Protocol.Primitives;

namespace Samsa.Storage.Checkpoints;

/// <summary>
/// A partition dir's leader-epoch-checkpoint: <c>0</c>, N, then N lines <c>epoch startOffset</c>,
/// as Kafka writes it. Only the format is checked here; the ordering rules belong to
/// <see cref="LeaderEpochCache"/>, which owns the file and is its only writer.
/// </summary>
public sealed class LeaderEpochCheckpointFile
{
    public const string FileName = "leader-epoch-checkpoint";

    public LeaderEpochCheckpointFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    public string Path { get; }

    /// <summary>The entries in file order; empty when the file does not exist yet.</summary>
    /// <exception cref="StorageException">The file is corrupt or unreadable.</exception>
    public IReadOnlyList<EpochEntry> Read()
    {
        List<string> lines = CheckpointText.ReadEntryLines(Path);
        EpochEntry[] entries = new EpochEntry[lines.Count];
        Span<Range> fields = stackalloc Range[2];
        for (int i = 0; i < lines.Count; i++)
        {
            string line = lines[i];
            if (!CheckpointText.TrySplit(line, fields)
                || !CheckpointText.TryParseInt32(line.AsSpan(fields[0]), out int epoch)
                || !CheckpointText.TryParseInt64(line.AsSpan(fields[1]), out long startOffset))
            {
                throw CheckpointText.MalformedLine(Path, i, line);
            }

            entries[i] = new EpochEntry(epoch, startOffset);
        }

        return entries;
    }

    /// <summary>Replaces the file with <paramref name="entries"/>, durably.</summary>
    /// <exception cref="StorageException">The file could not be written; the previous one is intact.</exception>
    public void Write(IReadOnlyList<EpochEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        using PooledBufferWriter writer = new(64 + (entries.Count * 32));
        CheckpointText.WriteHeader(writer, entries.Count);
        for (int i = 0; i < entries.Count; i++)
        {
            CheckpointText.WriteInt64(writer, entries[i].Epoch);
            CheckpointText.WriteByte(writer, (byte)' ');
            CheckpointText.WriteInt64(writer, entries[i].StartOffset);
            CheckpointText.WriteByte(writer, (byte)'\n');
        }

        AtomicFile.Write(Path, writer.WrittenSpan);
    }

    /// <summary>
    /// Writes unless the partition dir is gone: a log being deleted drops its epochs too, and
    /// recreating its directory just to record that would leave a stray partition behind.
    /// </summary>
    internal void WriteIfDirectoryExists(IReadOnlyList<EpochEntry> entries)
    {
        string? directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (directory is null || Directory.Exists(directory))
        {
            Write(entries);
        }
    }
}
