using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Samsa.Integration.Tests.Network;

/// <summary>
/// A bare TCP connection to a broker for bad-input tests: writes any bytes, builds simple
/// non-flexible and flexible request frames, and reads one response frame or sees the close.
/// </summary>
internal sealed class RawKafkaConnection : IDisposable
{
    private readonly Socket _socket;

    private RawKafkaConnection(Socket socket) => _socket = socket;

    /// <param name="localAddress">The client's own address, e.g. 127.0.0.2 to look like another host to per-IP limits.</param>
    public static async Task<RawKafkaConnection> ConnectAsync(int port, CancellationToken cancellationToken, IPAddress? localAddress = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (localAddress is not null)
            {
                socket.Bind(new IPEndPoint(localAddress, 0));
            }

            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return new RawKafkaConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Header v1 (int16 key, int16 version, int32 correlation id, int16-length client id) and a body.</summary>
    public static byte[] Frame(short apiKey, short apiVersion, int correlationId, ReadOnlySpan<byte> body, bool flexibleHeader = false)
    {
        byte[] clientId = "raw-test"u8.ToArray();
        int headerLength = 2 + 2 + 4 + 2 + clientId.Length + (flexibleHeader ? 1 : 0);
        byte[] frame = new byte[4 + headerLength + body.Length];
        Span<byte> span = frame;
        BinaryPrimitives.WriteInt32BigEndian(span, headerLength + body.Length);
        BinaryPrimitives.WriteInt16BigEndian(span[4..], apiKey);
        BinaryPrimitives.WriteInt16BigEndian(span[6..], apiVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[8..], correlationId);
        BinaryPrimitives.WriteInt16BigEndian(span[12..], (short)clientId.Length);
        clientId.CopyTo(span[14..]);
        if (flexibleHeader)
        {
            span[14 + clientId.Length] = 0; // no tagged fields
        }

        body.CopyTo(span[(4 + headerLength)..]);
        return frame;
    }

    public async Task SendAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>A blocking send, for callers that pace their bytes on a thread of their own.</summary>
    public void Send(ReadOnlySpan<byte> bytes)
    {
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += _socket.Send(bytes[sent..], SocketFlags.None);
        }
    }

    /// <summary>No more bytes from us: the broker sees end of stream.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>The next response frame (without its size prefix), or null when the broker closed the connection.</summary>
    public async Task<byte[]?> ReceiveFrameAsync(CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[4];
        if (!await ReceiveExactlyAsync(prefix, cancellationToken))
        {
            return null;
        }

        int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size < 0 || size > 16 * 1024 * 1024)
        {
            throw new InvalidDataException($"Response size prefix {size} is not plausible.");
        }

        byte[] frame = new byte[size];
        return await ReceiveExactlyAsync(frame, cancellationToken)
            ? frame
            : throw new EndOfStreamException("The connection closed inside a response frame.");
    }

    /// <summary>True when the broker closed the connection without sending anything more.</summary>
    public async Task<bool> IsClosedByPeerAsync(CancellationToken cancellationToken) =>
        await ReceiveFrameAsync(cancellationToken) is null;

    public void Dispose() => _socket.Dispose();

    private async Task<bool> ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n;
            try
            {
                n = await _socket.ReceiveAsync(buffer[read..], SocketFlags.None, cancellationToken);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                return false; // a reset is a close too: the broker dropped our unread bytes
            }

            if (n == 0)
            {
                if (read == 0)
                {
                    return false;
                }

                throw new EndOfStreamException($"The connection closed after {read} of {buffer.Length} bytes.");
            }

            read += n;
        }

        return true;
    }
}
