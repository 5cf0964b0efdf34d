using System.Text;
using Samsa.Protocol.Primitives;

namespace Samsa.Storage.Checkpoints;

/// <summary>
/// A partition dir's partition.metadata: the topic id the partition belongs to, so a topic deleted
/// and recreated under the same name is never mistaken for the old one. Kafka's format:
/// <c>version: 0</c> and <c>topic_id: &lt;22-char base64url&gt;</c> on two lines. Written once when
/// the broker learns the id, read when the partition is loaded; owned by the partition's log.
/// </summary>
public sealed class PartitionMetadataFile
{
    public const string FileName = "partition.metadata";

    private const int CurrentVersion = 0;

    public PartitionMetadataFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = path;
    }

    public string Path { get; }

    /// <summary>The topic id, or null when the file does not exist yet.</summary>
    /// <exception cref="StorageException">The file is corrupt or unreadable.</exception>
    public Uuid? Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Failed to read partition metadata file {Path}: {e.Message}", e);
        }

        string[] lines = text.Split('\n');
        string versionText = Value(lines, 0, "version:");
        if (!CheckpointText.TryParseInt32(versionText, out int version) || version != CurrentVersion)
        {
            throw new StorageException($"Unrecognized version '{versionText}' in partition metadata file {Path} at line 1");
        }

        string topicIdText = Value(lines, 1, "topic_id:");
        if (!Uuid.TryParse(topicIdText, out Uuid topicId) || topicId.IsZero)
        {
            throw new StorageException($"Invalid topic id '{topicIdText}' in partition metadata file {Path} at line 2");
        }

        for (int i = 2; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length != 0)
            {
                throw new StorageException($"Unexpected content in partition metadata file {Path} at line {i + 1}: '{lines[i]}'");
            }
        }

        return topicId;
    }

    /// <summary>Records <paramref name="topicId"/>, durably.</summary>
    /// <exception cref="StorageException">The file could not be written; the previous one is intact.</exception>
    public void Write(Uuid topicId)
    {
        if (topicId.IsZero)
        {
            throw new ArgumentException("The zero id is not a topic id.", nameof(topicId));
        }

        AtomicFile.Write(Path, Encoding.UTF8.GetBytes($"version: {CurrentVersion}\ntopic_id: {topicId}\n"));
    }

    // "<key> <value>", with any run of spaces or tabs between, as Kafka's reader splits it.
    private string Value(string[] lines, int index, string key)
    {
        string line = index < lines.Length ? lines[index].TrimEnd('\r') : string.Empty;
        Span<Range> fields = stackalloc Range[2];
        if (!CheckpointText.TrySplit(line, fields) || !line.AsSpan(fields[0]).SequenceEqual(key))
        {
            throw new StorageException($"Malformed line {index + 1} in partition metadata file {Path}: expected '{key} <value>', found '{line}'");
        }

        return line[fields[1]];
    }
}
