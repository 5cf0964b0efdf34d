using System.Text;

namespace Samsa.Broker.Configuration;

/// <summary>
/// A Java <c>.properties</c> text read the way Kafka reads <c>server.properties</c>
/// (<c>java.util.Properties.load</c>): <c>#</c>/<c>!</c> comment lines, <c>key=value</c>,
/// <c>key: value</c> or <c>key value</c>, whitespace skipped around the separator, a trailing odd
/// backslash continuing the line, the escapes <c>\t \n \r \f \\ \uXXXX</c>, and the last duplicate
/// winning. Values keep trailing whitespace, as Java does; the config table trims where Kafka does.
/// Immutable once parsed; safe to share.
/// </summary>
/// <remarks>
/// One deviation: <see cref="Load"/> reads the file as UTF-8, where Java's byte-stream
/// <c>load</c> reads ISO-8859-1. For ASCII files (all of Kafka's keys) the two agree.
/// </remarks>
public sealed class PropertiesFile
{
    private readonly OrderedDictionary<string, string> _values;
    private readonly Dictionary<string, int> _lines;

    private PropertiesFile(OrderedDictionary<string, string> values, Dictionary<string, int> lines)
    {
        _values = values;
        _lines = lines;
    }

    /// <summary>Keys in the order they first appear, each with its last value.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>The 1-based line on which the winning definition of <paramref name="key"/> starts.</summary>
    public bool TryGetLine(string key, out int line) => _lines.TryGetValue(key, out line);

    /// <summary>Reads and parses a file; I/O errors propagate as they are.</summary>
    public static PropertiesFile Load(string path) => Parse(File.ReadAllText(path, Encoding.UTF8));

    /// <summary>Parses properties text. Throws <see cref="ConfigException"/> for a malformed <c>\u</c> escape.</summary>
    public static PropertiesFile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var logical = new StringBuilder();
        int position = 0;
        int lineNumber = 0;

        while (position < text.Length)
        {
            string physical = ReadPhysicalLine(text, ref position);
            lineNumber++;
            int startLine = lineNumber;
            int start = SkipWhitespace(physical, 0);
            if (start == physical.Length || physical[start] is '#' or '!')
            {
                continue;
            }

            logical.Clear();
            logical.Append(physical, start, physical.Length - start);
            while (EndsWithContinuation(logical))
            {
                logical.Length--;
                if (position >= text.Length)
                {
                    break;
                }

                string next = ReadPhysicalLine(text, ref position);
                lineNumber++;
                int nextStart = SkipWhitespace(next, 0);
                logical.Append(next, nextStart, next.Length - nextStart);
            }

            SplitKeyValue(logical.ToString(), startLine, out string key, out string value);
            values[key] = value;
            lines[key] = startLine;
        }

        return new PropertiesFile(values, lines);
    }

    private static string ReadPhysicalLine(string text, ref int position)
    {
        int start = position;
        while (position < text.Length && text[position] is not ('\n' or '\r'))
        {
            position++;
        }

        string line = text[start..position];
        if (position < text.Length)
        {
            // \r\n, \r and \n all end a line, as in Java's LineReader.
            if (text[position] == '\r' && position + 1 < text.Length && text[position + 1] == '\n')
            {
                position++;
            }

            position++;
        }

        return line;
    }

    private static bool IsWhitespace(char c) => c is ' ' or '\t' or '\f';

    private static int SkipWhitespace(string s, int index)
    {
        while (index < s.Length && IsWhitespace(s[index]))
        {
            index++;
        }

        return index;
    }

    // A line continues when it ends in an odd number of backslashes; "\\" at the end is a literal one.
    private static bool EndsWithContinuation(StringBuilder line)
    {
        int count = 0;
        for (int i = line.Length - 1; i >= 0 && line[i] == '\\'; i--)
        {
            count++;
        }

        return (count & 1) == 1;
    }

    private static void SplitKeyValue(string line, int lineNumber, out string key, out string value)
    {
        int keyLength = 0;
        int valueStart = line.Length;
        bool hasSeparator = false;
        bool precedingBackslash = false;
        while (keyLength < line.Length)
        {
            char c = line[keyLength];
            if ((c == '=' || c == ':') && !precedingBackslash)
            {
                valueStart = keyLength + 1;
                hasSeparator = true;
                break;
            }

            if (IsWhitespace(c) && !precedingBackslash)
            {
                valueStart = keyLength + 1;
                break;
            }

            precedingBackslash = c == '\\' && !precedingBackslash;
            keyLength++;
        }

        while (valueStart < line.Length)
        {
            char c = line[valueStart];
            if (!IsWhitespace(c))
            {
                if (!hasSeparator && (c == '=' || c == ':'))
                {
                    hasSeparator = true;
                }
                else
                {
                    break;
                }
            }

            valueStart++;
        }

        key = Unescape(line.AsSpan(0, keyLength), lineNumber);
        value = Unescape(line.AsSpan(valueStart), lineNumber);
    }

    private static string Unescape(ReadOnlySpan<char> raw, int lineNumber)
    {
        if (raw.IndexOf('\\') < 0)
        {
            return raw.ToString();
        }

        var result = new StringBuilder(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c != '\\')
            {
                result.Append(c);
                continue;
            }

            if (++i >= raw.Length)
            {
                break;
            }

            c = raw[i];
            switch (c)
            {
                case 'u':
                    if (i + 4 >= raw.Length)
                    {
                        throw Malformed(lineNumber);
                    }

                    int code = 0;
                    for (int j = 1; j <= 4; j++)
                    {
                        int digit = HexValue(raw[i + j]);
                        if (digit < 0)
                        {
                            throw Malformed(lineNumber);
                        }

                        code = (code << 4) | digit;
                    }

                    result.Append((char)code);
                    i += 4;
                    break;
                case 't':
                    result.Append('\t');
                    break;
                case 'n':
                    result.Append('\n');
                    break;
                case 'r':
                    result.Append('\r');
                    break;
                case 'f':
                    result.Append('\f');
                    break;
                default:
                    result.Append(c);
                    break;
            }
        }

        return result.ToString();
    }

    private static int HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static ConfigException Malformed(int lineNumber) =>
        new($"Malformed \\uxxxx encoding on line {lineNumber}.");
}
