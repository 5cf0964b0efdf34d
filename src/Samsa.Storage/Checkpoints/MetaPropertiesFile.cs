using System.Globalization;
using System.Text;
using Samsa.Protocol.Primitives;

namespace Samsa.Storage.Checkpoints;

/// <summary>
/// A log dir's meta.properties, in the Java properties text Kafka writes: a blank <c>#</c> comment
/// line, a <c>#</c> date line, then <c>key=value</c> lines (<c>version</c>, <c>cluster.id</c>,
/// <c>broker.id</c> in v0 or <c>node.id</c> in v1, <c>directory.id</c>). Written on the first start
/// with a log dir and read at every start; owned by the log manager.
/// </summary>
public sealed class MetaPropertiesFile
{
    public const string FileName = "meta.properties";

    private const string VersionKey = "version";
    private const string ClusterIdKey = "cluster.id";
    private const string BrokerIdKey = "broker.id";
    private const string NodeIdKey = "node.id";
    private const string DirectoryIdKey = "directory.id";

    private readonly TimeProvider _timeProvider;

    public MetaPropertiesFile(string path)
        : this(path, TimeProvider.System)
    {
    }

    /// <param name="timeProvider">Dates the comment line, as Java's Properties.store does.</param>
    public MetaPropertiesFile(string path, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Path = path;
        _timeProvider = timeProvider;
    }

    public string Path { get; }

    /// <summary>The properties, or null when the file does not exist yet.</summary>
    /// <exception cref="StorageException">The file is corrupt, unreadable, or lacks a required key.</exception>
    public MetaProperties? Read()
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
            throw new StorageException($"Failed to read {Path}: {e.Message}", e);
        }

        Dictionary<string, string> properties = Parse(text);

        // A missing version means 0, as in Kafka: the oldest files had no version key.
        int version = MetaProperties.ZooKeeperVersion;
        if (properties.TryGetValue(VersionKey, out string? versionText)
            && (!TryParseInt32(versionText, out version) || version is not (MetaProperties.ZooKeeperVersion or MetaProperties.KRaftVersion)))
        {
            throw new StorageException($"Unsupported {VersionKey} '{versionText}' in {Path}");
        }

        // Kafka lets a v0 file omit cluster.id (brokers older than 0.10.1 wrote none); every Samsa
        // broker writes one and checks it against the coordinator, so we require it.
        if (!properties.TryGetValue(ClusterIdKey, out string? clusterId) || clusterId.Length == 0)
        {
            throw new StorageException($"{ClusterIdKey} was not found in {Path}");
        }

        int? brokerId = null;
        int? nodeId = null;
        if (version == MetaProperties.ZooKeeperVersion)
        {
            // Optional in v0 (a broker with a generated id records it later), as in Kafka.
            if (properties.ContainsKey(BrokerIdKey))
            {
                brokerId = RequiredInt32(properties, BrokerIdKey);
            }
        }
        else
        {
            nodeId = RequiredInt32(properties, NodeIdKey);
        }

        Uuid? directoryId = null;
        if (properties.TryGetValue(DirectoryIdKey, out string? directoryIdText))
        {
            if (!Uuid.TryParse(directoryIdText, out Uuid parsed))
            {
                throw new StorageException($"Unable to read {DirectoryIdKey} '{directoryIdText}' in {Path} as a Uuid");
            }

            directoryId = parsed;
        }

        return new MetaProperties(version, brokerId, nodeId, clusterId, directoryId);
    }

    /// <summary>Replaces the file with <paramref name="properties"/>, durably.</summary>
    /// <exception cref="ArgumentException">The properties do not fit their version.</exception>
    /// <exception cref="StorageException">The file could not be written; the previous one is intact.</exception>
    public void Write(MetaProperties properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        Validate(properties);

        StringBuilder text = new();
        text.Append("#\n#").Append(JavaDate(_timeProvider.GetUtcNow())).Append('\n');
        AppendProperty(text, VersionKey, properties.Version.ToString(CultureInfo.InvariantCulture));
        AppendProperty(text, ClusterIdKey, properties.ClusterId);
        if (properties.BrokerId is int brokerId)
        {
            AppendProperty(text, BrokerIdKey, brokerId.ToString(CultureInfo.InvariantCulture));
        }

        if (properties.NodeId is int nodeId)
        {
            AppendProperty(text, NodeIdKey, nodeId.ToString(CultureInfo.InvariantCulture));
        }

        if (properties.DirectoryId is Uuid directoryId)
        {
            AppendProperty(text, DirectoryIdKey, directoryId.ToString());
        }

        AtomicFile.Write(Path, Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static void Validate(MetaProperties properties)
    {
        if (string.IsNullOrEmpty(properties.ClusterId))
        {
            throw new ArgumentException("meta.properties needs a cluster id.", nameof(properties));
        }

        switch (properties.Version)
        {
            case MetaProperties.ZooKeeperVersion when properties.NodeId is not null:
                throw new ArgumentException("Version 0 meta.properties names the broker by broker.id, not node.id.", nameof(properties));
            case MetaProperties.KRaftVersion when properties.NodeId is null || properties.BrokerId is not null:
                throw new ArgumentException("Version 1 meta.properties needs node.id and has no broker.id.", nameof(properties));
            case MetaProperties.ZooKeeperVersion or MetaProperties.KRaftVersion:
                break;
            default:
                throw new ArgumentException($"Unsupported meta.properties version {properties.Version}.", nameof(properties));
        }
    }

    private int RequiredInt32(Dictionary<string, string> properties, string key)
    {
        if (!properties.TryGetValue(key, out string? text))
        {
            throw new StorageException($"{key} was not found in {Path}");
        }

        if (!TryParseInt32(text, out int value))
        {
            throw new StorageException($"Invalid {key} '{text}' in {Path}");
        }

        return value;
    }

    private static bool TryParseInt32(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    // java.util.Date.toString in UTC, e.g. "Thu Jan 01 00:00:00 UTC 2026".
    private static string JavaDate(DateTimeOffset now) =>
        now.UtcDateTime.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture);

    /// <summary>
    /// Java's Properties.load for the files we meet: comment lines start with '#' or '!', a key ends
    /// at the first '=', ':' or blank, and backslash escapes are undone. Line continuations (a
    /// trailing backslash) never appear in meta.properties and are reported as corruption.
    /// </summary>
    private Dictionary<string, string> Parse(string text)
    {
        Dictionary<string, string> properties = new(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            ReadOnlySpan<char> line = lines[i].AsSpan().TrimEnd('\r').TrimStart(" \t\f");
            if (line.IsEmpty || line[0] is '#' or '!')
            {
                continue;
            }

            int keyEnd = 0;
            while (keyEnd < line.Length && line[keyEnd] is not ('=' or ':' or ' ' or '\t' or '\f'))
            {
                keyEnd += line[keyEnd] == '\\' ? 2 : 1;
            }

            keyEnd = Math.Min(keyEnd, line.Length);
            ReadOnlySpan<char> rest = line[keyEnd..].TrimStart(" \t\f");
            if (!rest.IsEmpty && rest[0] is '=' or ':')
            {
                rest = rest[1..].TrimStart(" \t\f");
            }

            if (!TryUnescape(line[..keyEnd], out string? key) || !TryUnescape(rest, out string? value) || key.Length == 0)
            {
                throw new StorageException($"Malformed line {i + 1} in {Path}: '{lines[i]}'");
            }

            properties[key] = value;
        }

        return properties;
    }

    private static bool TryUnescape(ReadOnlySpan<char> text, out string value)
    {
        if (!text.Contains('\\'))
        {
            value = text.ToString();
            return true;
        }

        StringBuilder builder = new(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\\')
            {
                builder.Append(c);
                continue;
            }

            if (++i == text.Length)
            {
                value = string.Empty;
                return false;
            }

            switch (text[i])
            {
                case 't': builder.Append('\t'); break;
                case 'n': builder.Append('\n'); break;
                case 'r': builder.Append('\r'); break;
                case 'f': builder.Append('\f'); break;
                case 'u':
                    if (i + 4 >= text.Length
                        || !ushort.TryParse(text.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
                    {
                        value = string.Empty;
                        return false;
                    }

                    builder.Append((char)code);
                    i += 4;
                    break;
                default: builder.Append(text[i]); break;
            }
        }

        value = builder.ToString();
        return true;
    }

    // Java's Properties.store escaping, with non-ASCII as \uXXXX so that Kafka's reader (which
    // loads the file as ISO-8859-1) sees the same value.
    private static void AppendProperty(StringBuilder text, string key, string value)
    {
        AppendEscaped(text, key);
        text.Append('=');
        AppendEscaped(text, value);
        text.Append('\n');
    }

    private static void AppendEscaped(StringBuilder text, string value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            switch (c)
            {
                case '\\' or '=' or ':' or '#' or '!':
                    text.Append('\\').Append(c);
                    break;
                case ' ' when i == 0:
                    text.Append("\\ ");
                    break;
                case '\t': text.Append("\\t"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\f': text.Append("\\f"); break;
                case < ' ' or > '~':
                    text.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
                    break;
                default:
                    text.Append(c);
                    break;
            }
        }
    }
}
