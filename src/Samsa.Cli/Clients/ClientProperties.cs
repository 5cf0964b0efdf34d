using System.Text;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Clients;

/// <summary>
/// Client settings from the places Kafka's tools read them: a Java properties file
/// (--producer.config, --consumer.config, --command-config) and repeated key=value flags
/// (--producer-property, --consumer-property, --property). Later sources override earlier ones.
/// </summary>
internal static class ClientProperties
{
    /// <summary>
    /// Java client settings librdkafka has no equivalent for; Kafka users keep them in their
    /// client files, so they are accepted and ignored rather than refused.
    /// </summary>
    private static readonly HashSet<string> JavaOnly = new(StringComparer.Ordinal)
    {
        "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
        "buffer.memory", "max.block.ms", "default.api.timeout.ms", "interceptor.classes",
        "metric.reporters", "metrics.num.samples", "metrics.sample.window.ms", "metrics.recording.level",
        "exclude.internal.topics", "send.buffer.bytes", "receive.buffer.bytes", "auto.include.jmx.reporter",
    };

    public static bool IsJavaOnly(string key) => JavaOnly.Contains(key);

    /// <summary>Reads a Java .properties file: key=value or key:value, '#'/'!' comments, '\' continuations.</summary>
    public static Dictionary<string, string> LoadFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path} (No such file or directory)");
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var logical = new StringBuilder();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (logical.Length == 0)
            {
                line = line.TrimStart();
                if (line.Length == 0 || line[0] == '#' || line[0] == '!')
                {
                    continue;
                }
            }
            else
            {
                line = line.TrimStart();
            }

            if (EndsWithContinuation(line))
            {
                logical.Append(line, 0, line.Length - 1);
                continue;
            }

            logical.Append(line);
            AddEntry(result, logical.ToString());
            logical.Clear();
        }

        if (logical.Length > 0)
        {
            AddEntry(result, logical.ToString());
        }

        return result;
    }

    /// <summary>key=value words from repeated flags; the value may itself contain '='.</summary>
    public static void AddPairs(Dictionary<string, string> into, IReadOnlyList<string> pairs)
    {
        foreach (string pair in pairs)
        {
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new UsageException($"Invalid command line properties: {pair}");
            }

            into[pair[..equals].Trim()] = pair[(equals + 1)..];
        }
    }

    private static bool EndsWithContinuation(string line)
    {
        int backslashes = 0;
        for (int i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    private static void AddEntry(Dictionary<string, string> into, string line)
    {
        int split = -1;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '\\')
            {
                i++;
                continue;
            }

            if (line[i] is '=' or ':' or ' ' or '\t')
            {
                split = i;
                break;
            }
        }

        string key = split < 0 ? line : line[..split];
        string value = "";
        if (split >= 0)
        {
            int start = split;
            while (start < line.Length && line[start] is ' ' or '\t')
            {
                start++;
            }

            if (start < line.Length && line[start] is '=' or ':')
            {
                start++;
            }

            value = line[start..].TrimStart();
        }

        into[Unescape(key)] = Unescape(value);
    }

    private static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\\' || i + 1 == text.Length)
            {
                result.Append(c);
                continue;
            }

            char next = text[++i];
            result.Append(next switch
            {
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                'f' => '\f',
                _ => next,
            });
        }

        return result.ToString();
    }
}
