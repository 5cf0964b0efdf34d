using System.Text;
using Confluent.Kafka;

namespace Samsa.Cli.Tools;

/// <summary>
/// Kafka's LineMessageReader: one record per input line, with the --property settings parse.key,
/// key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator,
/// ignore.error and null.marker. The console producer owns one and calls it per line.
/// </summary>
internal sealed class LineMessageReader
{
    private readonly bool _parseKey;
    private readonly string _keySeparator;
    private readonly bool _parseHeaders;
    private readonly string _headersDelimiter;
    private readonly string _headersSeparator;
    private readonly string _headersKeySeparator;
    private readonly bool _ignoreError;
    private readonly string? _nullMarker;
    private int _lineNumber;

    public LineMessageReader(IReadOnlyDictionary<string, string> properties)
    {
        _parseKey = IsTrue(properties, "parse.key");
        _keySeparator = properties.GetValueOrDefault("key.separator", "\t");
        _parseHeaders = IsTrue(properties, "parse.headers");
        _headersDelimiter = properties.GetValueOrDefault("headers.delimiter", "\t");
        _headersSeparator = properties.GetValueOrDefault("headers.separator", ",");
        _headersKeySeparator = properties.GetValueOrDefault("headers.key.separator", ":");
        _ignoreError = IsTrue(properties, "ignore.error");
        _nullMarker = properties.GetValueOrDefault("null.marker");
        if (_keySeparator.Length == 0 || (_parseHeaders && (_headersDelimiter.Length == 0 || _headersSeparator.Length == 0 || _headersKeySeparator.Length == 0)))
        {
            throw new LineFormatException("Separators and delimiters must not be empty");
        }
    }

    /// <summary>The record for one line; throws <see cref="LineFormatException"/> for a line Kafka would refuse.</summary>
    public Message<byte[]?, byte[]?> Read(string line)
    {
        _lineNumber++;
        var message = new Message<byte[]?, byte[]?>();
        string rest = line;
        if (_parseHeaders)
        {
            int delimiter = rest.IndexOf(_headersDelimiter, StringComparison.Ordinal);
            if (delimiter < 0)
            {
                if (!_ignoreError)
                {
                    throw new LineFormatException($"No headers delimiter found on line number {_lineNumber}: '{line}'");
                }
            }
            else
            {
                message.Headers = ParseHeaders(rest[..delimiter]);
                rest = rest[(delimiter + _headersDelimiter.Length)..];
            }
        }

        if (_parseKey)
        {
            int separator = rest.IndexOf(_keySeparator, StringComparison.Ordinal);
            if (separator < 0)
            {
                if (!_ignoreError)
                {
                    throw new LineFormatException($"No key found on line {_lineNumber}: {line}");
                }

                message.Value = Bytes(rest);
                return message;
            }

            message.Key = Bytes(rest[..separator]);
            rest = rest[(separator + _keySeparator.Length)..];
        }

        message.Value = Bytes(rest);
        return message;
    }

    private Headers ParseHeaders(string text)
    {
        var headers = new Headers();
        foreach (string header in text.Split(_headersSeparator))
        {
            int split = header.IndexOf(_headersKeySeparator, StringComparison.Ordinal);
            if (split < 0)
            {
                headers.Add(header, null);
                continue;
            }

            string key = header[..split];
            if (_nullMarker is not null && key == _nullMarker)
            {
                throw new LineFormatException($"Header keys should not be equal to the null marker '{_nullMarker}' as they can't be null");
            }

            headers.Add(key, Bytes(header[(split + _headersKeySeparator.Length)..]));
        }

        return headers;
    }

    private byte[]? Bytes(string text) =>
        _nullMarker is not null && text == _nullMarker ? null : Encoding.UTF8.GetBytes(text);

    private static bool IsTrue(IReadOnlyDictionary<string, string> properties, string key) =>
        properties.TryGetValue(key, out string? value) && value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase);
}
