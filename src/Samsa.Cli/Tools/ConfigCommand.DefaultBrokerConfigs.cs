using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Samsa.Cli.Tools;

/// <summary>
/// The cluster-wide broker defaults (--entity-default): Kafka names them with an empty BROKER
/// resource name, which Confluent.Kafka refuses to send ("Resource must be specified."), so for
/// this one entity the tool speaks the two requests itself, as the Java AdminClient would send
/// them, to the bootstrap broker that answered the probe: DescribeConfigs v1 and
/// IncrementalAlterConfigs v0 (both non-flexible, so plain int16-length strings and int32 arrays).
/// </summary>
internal sealed partial class ConfigCommand
{
    private const short DescribeConfigsKey = 32;
    private const short IncrementalAlterConfigsKey = 44;
    private const sbyte BrokerResourceType = 4;
    private const int MaxResponseBytes = 16 * 1024 * 1024;

    /// <summary>The dynamic default entries (with synonyms), or a <see cref="KafkaException"/> with the broker's error.</summary>
    private static async Task<List<ConfigEntryResult>> DescribeDefaultsAsync(string reachedAddress, CancellationToken cancellationToken)
    {
        var body = new RequestWriter();
        body.Int32(1);
        body.Int8(BrokerResourceType);
        body.String("");
        body.Int32(-1);        // every key
        body.Bool(true);       // include_synonyms
        ResponseReader response = await ExchangeAsync(reachedAddress, DescribeConfigsKey, 1, body, cancellationToken).ConfigureAwait(false);

        response.Int32();      // throttle_time_ms
        var entries = new List<ConfigEntryResult>();
        int results = response.Int32();
        for (int r = 0; r < results; r++)
        {
            short error = response.Int16();
            string? message = response.NullableString();
            response.Int8();
            response.NullableString();
            if (error != 0)
            {
                throw new KafkaException(new Error((ErrorCode)error, message ?? ""));
            }

            int configs = response.Int32();
            for (int c = 0; c < configs; c++)
            {
                var entry = new ConfigEntryResult
                {
                    Name = response.NullableString() ?? "",
                    Value = response.NullableString(),
                    IsReadOnly = response.Bool(),
                    Source = (ConfigSource)response.Int8(),
                    IsSensitive = response.Bool(),
                    Synonyms = [],
                };
                int synonyms = response.Int32();
                for (int s = 0; s < synonyms; s++)
                {
                    entry.Synonyms.Add(new ConfigSynonym { Name = response.NullableString() ?? "", Value = response.NullableString(), Source = (ConfigSource)response.Int8() });
                }

                entry.IsDefault = entry.Source == ConfigSource.DefaultConfig;
                entries.Add(entry);
            }
        }

        return entries;
    }

    /// <summary>Sends the SET and DELETE operations for the defaults; a refusal comes back as a <see cref="KafkaException"/>.</summary>
    private static async Task AlterDefaultsAsync(string reachedAddress, List<ConfigEntry> operations, CancellationToken cancellationToken)
    {
        var body = new RequestWriter();
        body.Int32(1);
        body.Int8(BrokerResourceType);
        body.String("");
        body.Int32(operations.Count);
        foreach (ConfigEntry operation in operations)
        {
            body.String(operation.Name);
            body.Int8((sbyte)operation.IncrementalOperation);
            body.NullableString(operation.Value);
        }

        body.Bool(false);      // validate_only
        ResponseReader response = await ExchangeAsync(reachedAddress, IncrementalAlterConfigsKey, 0, body, cancellationToken).ConfigureAwait(false);

        response.Int32();      // throttle_time_ms
        int results = response.Int32();
        for (int r = 0; r < results; r++)
        {
            short error = response.Int16();
            string? message = response.NullableString();
            if (error != 0)
            {
                throw new KafkaException(new Error((ErrorCode)error, message ?? ""));
            }

            response.Int8();
            response.NullableString();
        }
    }

    /// <summary>One request on a fresh connection to the broker the probe reached ("host/ip:port"), and its response body.</summary>
    private static async Task<ResponseReader> ExchangeAsync(string reachedAddress, short apiKey, short version, RequestWriter body, CancellationToken cancellationToken)
    {
        int slash = reachedAddress.LastIndexOf('/');
        int colon = reachedAddress.LastIndexOf(':');
        var endpoint = new IPEndPoint(
            IPAddress.Parse(reachedAddress[(slash + 1)..colon].Trim('[', ']')),
            int.Parse(reachedAddress.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture));

        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Clients.KafkaClients.RequestTimeout);
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endpoint, budget.Token).ConfigureAwait(false);
            var frame = new RequestWriter();
            frame.Int16(apiKey);
            frame.Int16(version);
            frame.Int32(1);                          // correlation id
            frame.String("adminclient-1");
            byte[] header = frame.ToArray();
            byte[] payload = body.ToArray();
            byte[] request = new byte[4 + header.Length + payload.Length];
            BinaryPrimitives.WriteInt32BigEndian(request, header.Length + payload.Length);
            header.CopyTo(request, 4);
            payload.CopyTo(request, 4 + header.Length);
            await socket.SendAsync(request, SocketFlags.None, budget.Token).ConfigureAwait(false);

            byte[] sizeBytes = new byte[4];
            await ReceiveExactlyAsync(socket, sizeBytes, budget.Token).ConfigureAwait(false);
            int size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
            if (size < 4 || size > MaxResponseBytes)
            {
                throw new KafkaException(new Error(ErrorCode.Local_BadMsg, $"Unexpected response size {size} from {reachedAddress}"));
            }

            byte[] response = new byte[size];
            await ReceiveExactlyAsync(socket, response, budget.Token).ConfigureAwait(false);
            var reader = new ResponseReader(response);
            reader.Int32();                          // correlation id
            return reader;
        }
        catch (Exception e) when (e is SocketException or EndOfStreamException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new KafkaException(new Error(ErrorCode.Local_Transport, $"{reachedAddress}: {e.Message}"));
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException("The broker closed the connection.");
            }

            read += n;
        }
    }

    /// <summary>Big-endian Kafka primitives into a growing buffer.</summary>
    private sealed class RequestWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new();

        public void Int8(sbyte value) => _buffer.Write([(byte)value]);

        public void Bool(bool value) => _buffer.Write([value ? (byte)1 : (byte)0]);

        public void Int16(short value)
        {
            Span<byte> bytes = stackalloc byte[2];
            BinaryPrimitives.WriteInt16BigEndian(bytes, value);
            _buffer.Write(bytes);
        }

        public void Int32(int value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(bytes, value);
            _buffer.Write(bytes);
        }

        public void String(string value)
        {
            byte[] utf8 = Encoding.UTF8.GetBytes(value);
            Int16((short)utf8.Length);
            _buffer.Write(utf8);
        }

        public void NullableString(string? value)
        {
            if (value is null)
            {
                Int16(-1);
            }
            else
            {
                String(value);
            }
        }

        public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads big-endian Kafka primitives; a short response is a <see cref="KafkaException"/>.</summary>
    private sealed class ResponseReader(byte[] data)
    {
        private int _position;

        public sbyte Int8() => (sbyte)Take(1)[0];

        public bool Bool() => Take(1)[0] != 0;

        public short Int16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

        public int Int32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

        public string? NullableString()
        {
            short length = Int16();
            return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
        }

        private ReadOnlySpan<byte> Take(int count)
        {
            if (_position + count > data.Length)
            {
                throw new KafkaException(new Error(ErrorCode.Local_BadMsg, "Truncated response from the broker."));
            }

            ReadOnlySpan<byte> span = data.AsSpan(_position, count);
            _position += count;
            return span;
        }
    }
}
