using System.Globalization;
using System.Text;
using Samsa.Protocol.Primitives;

namespace Samsa.Storage.Checkpoints;

/// <summary>
/// Kafka's checkpoint text format, shared by the offset checkpoints of a log dir and a partition's
/// leader-epoch-checkpoint: line 1 the version (<c>0</c>), line 2 the entry count N, then N entry
/// lines of fields separated by single spaces, each line ending in '\n'. Reading follows Kafka's
/// CheckpointFile: an empty file holds no entries, fields may be separated by any run of spaces or
/// tabs, and anything else that does not fit is corruption, reported with the file and line.
/// </summary>
internal static class CheckpointText
{
    public const int CurrentVersion = 0;

    /// <summary>
    /// The entry lines of <paramref name="path"/>, or an empty list when the file does not exist or
    /// is empty. The first entry line is line 3 of the file.
    /// </summary>
    public static List<string> ReadEntryLines(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Failed to read checkpoint file {path}: {e.Message}", e);
        }

        List<string> lines = SplitLines(text);
        if (lines.Count == 0)
        {
            return [];
        }

        if (!TryParseInt32(lines[0], out int version) || version != CurrentVersion)
        {
            throw new StorageException($"Unrecognized version of checkpoint file {path} at line 1: '{lines[0]}'");
        }

        if (lines.Count == 1)
        {
            return [];
        }

        if (!TryParseInt32(lines[1], out int expected) || expected < 0)
        {
            throw new StorageException($"Malformed entry count in checkpoint file {path} at line 2: '{lines[1]}'");
        }

        int found = lines.Count - 2;
        if (found != expected)
        {
            throw new StorageException($"Expected {expected} entries in checkpoint file {path} but found {found} (lines 3 to {lines.Count})");
        }

        lines.RemoveRange(0, 2);
        return lines;
    }

    public static StorageException MalformedLine(string path, int entryIndex, string line) =>
        new($"Malformed line {entryIndex + 3} in checkpoint file {path}: '{line}'");

    /// <summary>Splits an entry line into exactly <paramref name="fields"/>.Length fields.</summary>
    public static bool TrySplit(string line, Span<Range> fields)
    {
        ReadOnlySpan<char> rest = line;
        int offset = 0;
        int count = 0;
        while (true)
        {
            int start = 0;
            while (start < rest.Length && IsSeparator(rest[start]))
            {
                start++;
            }

            if (start == rest.Length)
            {
                return count == fields.Length;
            }

            int end = start;
            while (end < rest.Length && !IsSeparator(rest[end]))
            {
                end++;
            }

            if (count == fields.Length)
            {
                return false;
            }

            fields[count++] = new Range(offset + start, offset + end);
            offset += end;
            rest = rest[end..];
        }
    }

    public static bool TryParseInt32(ReadOnlySpan<char> text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static bool TryParseInt64(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    public static void WriteHeader(PooledBufferWriter writer, int count)
    {
        WriteInt64(writer, CurrentVersion);
        WriteByte(writer, (byte)'\n');
        WriteInt64(writer, count);
        WriteByte(writer, (byte)'\n');
    }

    public static void WriteInt64(PooledBufferWriter writer, long value)
    {
        Span<byte> span = writer.GetSpan(20);
        if (!value.TryFormat(span, out int written, default, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("A 64-bit integer always fits in 20 bytes.");
        }

        writer.Advance(written);
    }

    public static void WriteString(PooledBufferWriter writer, string value)
    {
        Span<byte> span = writer.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length));
        writer.Advance(Encoding.UTF8.GetBytes(value, span));
    }

    public static void WriteByte(PooledBufferWriter writer, byte value)
    {
        writer.GetSpan(1)[0] = value;
        writer.Advance(1);
    }

    private static bool IsSeparator(char c) => c is ' ' or '\t';

    // Lines as Java's BufferedReader.readLine sees them: '\n', '\r\n' or '\r' end a line, and a
    // final line terminator does not start another (empty) line.
    private static List<string> SplitLines(string text)
    {
        List<string> lines = [];
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c is '\n' or '\r')
            {
                lines.Add(text[start..i]);
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            lines.Add(text[start..]);
        }

        return lines;
    }
}
