using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace Samsa.Cli.Tools;

/// <summary>
/// Kafka's DefaultMessageFormatter: per record, optionally the timestamp, partition, offset, headers
/// and key, each followed by key.separator, then the value and line.separator. Keys and values are
/// written as their raw bytes, as the ByteArrayDeserializer leaves them.
/// </summary>
internal sealed class MessageFormatter
{
    private readonly bool _printTimestamp;
    private readonly bool _printPartition;
    private readonly bool _printOffset;
    private readonly bool _printHeaders;
    private readonly bool _printKey;
    private readonly bool _printValue;
    private readonly byte[] _keySeparator;
    private readonly byte[] _lineSeparator;
    private readonly byte[] _headersSeparator;
    private readonly byte[] _nullLiteral;

    public MessageFormatter(IReadOnlyDictionary<string, string> properties)
    {
        _printTimestamp = Flag(properties, "print.timestamp", false);
        _printPartition = Flag(properties, "print.partition", false);
        _printOffset = Flag(properties, "print.offset", false);
        _printHeaders = Flag(properties, "print.headers", false);
        _printKey = Flag(properties, "print.key", false);
        _printValue = Flag(properties, "print.value", true);
        _keySeparator = Encoding.UTF8.GetBytes(properties.GetValueOrDefault("key.separator", "\t"));
        _lineSeparator = Encoding.UTF8.GetBytes(properties.GetValueOrDefault("line.separator", "\n"));
        _headersSeparator = Encoding.UTF8.GetBytes(properties.GetValueOrDefault("headers.separator", ","));
        _nullLiteral = Encoding.UTF8.GetBytes(properties.GetValueOrDefault("null.literal", "null"));
    }

    public void Write(ConsumeResult<byte[]?, byte[]?> record, Stream output)
    {
        if (_printTimestamp)
        {
            Timestamp timestamp = record.Message.Timestamp;
            string text = timestamp.Type switch
            {
                TimestampType.CreateTime => "CreateTime:" + timestamp.UnixTimestampMs.ToString(CultureInfo.InvariantCulture),
                TimestampType.LogAppendTime => "LogAppendTime:" + timestamp.UnixTimestampMs.ToString(CultureInfo.InvariantCulture),
                _ => "NO_TIMESTAMP",
            };
            WriteText(output, text);
            Separator(output, _printPartition || _printOffset || _printHeaders || _printKey || _printValue);
        }

        if (_printPartition)
        {
            WriteText(output, "Partition:" + record.Partition.Value.ToString(CultureInfo.InvariantCulture));
            Separator(output, _printOffset || _printHeaders || _printKey || _printValue);
        }

        if (_printOffset)
        {
            WriteText(output, "Offset:" + record.Offset.Value.ToString(CultureInfo.InvariantCulture));
            Separator(output, _printHeaders || _printKey || _printValue);
        }

        if (_printHeaders)
        {
            Headers? headers = record.Message.Headers;
            if (headers is null || headers.Count == 0)
            {
                WriteText(output, "NO_HEADERS");
            }
            else
            {
                for (int i = 0; i < headers.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Write(_headersSeparator);
                    }

                    IHeader header = headers[i];
                    WriteText(output, header.Key + ":");
                    output.Write(header.GetValueBytes() ?? _nullLiteral);
                }
            }

            Separator(output, _printKey || _printValue);
        }

        if (_printKey)
        {
            output.Write(record.Message.Key ?? _nullLiteral);
            Separator(output, _printValue);
        }

        if (_printValue)
        {
            output.Write(record.Message.Value ?? _nullLiteral);
            output.Write(_lineSeparator);
        }
    }

    private void Separator(Stream output, bool more)
    {
        if (more)
        {
            output.Write(_keySeparator);
        }
    }

    private static void WriteText(Stream output, string text) => output.Write(Encoding.UTF8.GetBytes(text));

    private static bool Flag(IReadOnlyDictionary<string, string> properties, string key, bool defaultValue) =>
        properties.TryGetValue(key, out string? value) ? value.Trim().Equals("true", StringComparison.OrdinalIgnoreCase) : defaultValue;
}
