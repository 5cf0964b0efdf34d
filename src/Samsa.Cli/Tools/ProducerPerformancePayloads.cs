using System.Buffers.Text;
using System.Text;
using System.Text.RegularExpressions;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// The record values the perf test sends, without allocating per record: --record-size reuses one
/// array of random capital letters (Kafka 3.1 fills it once too); --payload-file picks one of the
/// file's pieces at random; --payload-monotonic writes the record number's digits into an array
/// kept per digit count. Reusing arrays is safe because the client copies the value into its
/// own buffer during Produce.
/// </summary>
internal sealed class ProducerPerformancePayloads
{
    private readonly byte[]? _fixed;
    private readonly List<byte[]>? _pieces;
    private readonly byte[][]? _byDigits;
    private readonly Random _random = new(0);

    private ProducerPerformancePayloads(byte[]? fixedPayload, List<byte[]>? pieces, bool monotonic)
    {
        _fixed = fixedPayload;
        _pieces = pieces;
        if (monotonic)
        {
            _byDigits = new byte[20][]; // long.MaxValue has 19 digits
            for (int digits = 1; digits < _byDigits.Length; digits++)
            {
                _byDigits[digits] = new byte[digits];
            }
        }
    }

    public static ProducerPerformancePayloads Create(ProducerPerformanceArguments arguments)
    {
        if (arguments.RecordSize is int size)
        {
            byte[] payload = new byte[size];
            var random = new Random(0);
            for (int i = 0; i < payload.Length; i++)
            {
                payload[i] = (byte)(random.Next(26) + 65);
            }

            return new ProducerPerformancePayloads(payload, null, monotonic: false);
        }

        if (arguments.PayloadFile is string path)
        {
            return new ProducerPerformancePayloads(null, ReadPieces(path, arguments.PayloadDelimiter), monotonic: false);
        }

        return new ProducerPerformancePayloads(null, null, monotonic: true);
    }

    /// <summary>The value for record number <paramref name="record"/>.</summary>
    public byte[] Next(long record)
    {
        if (_fixed is not null)
        {
            return _fixed;
        }

        if (_pieces is not null)
        {
            return _pieces[_random.Next(_pieces.Count)];
        }

        int digits = CountDigits(record);
        byte[] payload = _byDigits![digits];
        Utf8Formatter.TryFormat(record, payload, out _);
        return payload;
    }

    /// <summary>Kafka prints where it reads from and how many payloads it found, on stdout.</summary>
    private static List<byte[]> ReadPieces(string path, string delimiter)
    {
        string full = Path.GetFullPath(path);
        Console.Out.Write("Reading payloads from: " + full + "\n");
        var file = new FileInfo(full);
        if (!file.Exists || file.Length == 0)
        {
            throw new UsageException("Exception in thread \"main\" java.lang.IllegalArgumentException: File does not exist or empty file provided.");
        }

        string text = File.ReadAllText(full, Encoding.UTF8);
        string[] parts = Regex.Split(text, delimiter, RegexOptions.None, TimeSpan.FromSeconds(10));
        var pieces = new List<byte[]>(parts.Length);
        for (int i = 0; i < parts.Length; i++)
        {
            // A file that ends with the delimiter has no empty piece after it (Java's Scanner).
            if (i == parts.Length - 1 && parts[i].Length == 0)
            {
                break;
            }

            pieces.Add(Encoding.UTF8.GetBytes(parts[i]));
        }

        Console.Out.Write("Number of messages read: " + pieces.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        return pieces.Count > 0
            ? pieces
            : throw new UsageException("Exception in thread \"main\" java.lang.IllegalArgumentException: File does not exist or empty file provided.");
    }

    private static int CountDigits(long value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
