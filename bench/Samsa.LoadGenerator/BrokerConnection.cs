using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.LoadGenerator;

/// <summary>
/// One TCP connection to the broker, owned by one loop: it writes whole frames and reads response
/// frames into one reused, pooled buffer. Nothing on the send or receive path allocates (pooling
/// async builders, socket operations without per-call cancellation: cancelling closes the socket).
/// A frame returned by <see cref="ReadFrameAsync"/> is valid until the next read.
/// </summary>
internal sealed class BrokerConnection : IAsyncDisposable
{
    private const int InitialBufferSize = 256 * 1024;

    private readonly NetworkStream _stream;
    private readonly int _maxFrameSize;
    private readonly CancellationTokenRegistration _closeOnCancel;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private int _nextCorrelationId;

    private BrokerConnection(Socket socket, int maxFrameSize, int bufferSize, CancellationToken cancellationToken)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _maxFrameSize = maxFrameSize;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        _closeOnCancel = cancellationToken.Register(static state => ((Socket)state!).Dispose(), socket);
    }

    /// <param name="bufferSize">
    /// Receive buffer to start with; it grows to the largest frame, so a caller that knows its
    /// response size passes it and the measured loop never grows it.
    /// </param>
    public static async Task<BrokerConnection> ConnectAsync(string host, int port, int maxFrameSize, CancellationToken cancellationToken, int bufferSize = InitialBufferSize)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
            return new BrokerConnection(socket, maxFrameSize, bufferSize, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes one whole frame (size prefix included).</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> frame) => _stream.WriteAsync(frame, CancellationToken.None);

    /// <summary>
    /// Reads the next response frame and returns it without its size prefix (correlation id first).
    /// </summary>
    /// <exception cref="IOException">The broker closed the connection or sent a bad frame size.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ReadOnlyMemory<byte>> ReadFrameAsync()
    {
        while (true)
        {
            int buffered = _end - _start;
            if (buffered >= Frame.SizePrefixLength)
            {
                int size = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start));
                if (size < 4 || size > _maxFrameSize)
                {
                    throw new IOException($"The broker sent a response frame of {size} bytes (limit {_maxFrameSize}).");
                }

                int total = size + Frame.SizePrefixLength;
                if (buffered >= total)
                {
                    var frame = new ReadOnlyMemory<byte>(_buffer, _start + Frame.SizePrefixLength, size);
                    _start += total;
                    return frame;
                }

                MakeRoom(total);
            }
            else
            {
                MakeRoom(Frame.SizePrefixLength);
            }

            int read = await _stream.ReadAsync(_buffer.AsMemory(_end), CancellationToken.None);
            if (read == 0)
            {
                throw new IOException("The broker closed the connection.");
            }

            _end += read;
        }
    }

    /// <summary>
    /// Sends one request and decodes its response: for the set-up requests (Metadata,
    /// CreateTopics), not the measured loops. Only valid while no other request is in flight.
    /// </summary>
    public async Task<TResponse> RequestAsync<TResponse>(IRequestData request, short version, string clientId)
        where TResponse : IResponseData, new()
    {
        ArgumentNullException.ThrowIfNull(request);
        int correlationId = NextCorrelationId();
        using (var frame = new PooledBufferWriter())
        {
            Frame.WriteRequest(frame, new RequestHeader { ApiKey = request.ApiKey, ApiVersion = version, CorrelationId = correlationId, ClientId = clientId }, request);
            await SendAsync(frame.WrittenMemory);
        }

        ReadOnlyMemory<byte> body = await ReadFrameAsync();
        var reader = new ProtocolReader(body);
        var header = new ResponseHeader();
        header.Read(ref reader, ResponseHeader.HeaderVersionFor(request.ApiKey, version));
        if (header.CorrelationId != correlationId)
        {
            throw new IOException($"The broker answered correlation id {header.CorrelationId}, expected {correlationId}.");
        }

        var response = new TResponse();
        response.Read(ref reader, version);
        return response;
    }

    /// <summary>Correlation ids for this connection, in send order (the broker answers in that order).</summary>
    public int NextCorrelationId() => _nextCorrelationId++;

    /// <summary>Ensures the buffer can hold <paramref name="frameBytes"/> from <see cref="_start"/>, compacting or growing.</summary>
    private void MakeRoom(int frameBytes)
    {
        if (_buffer.Length - _start >= frameBytes && _end < _buffer.Length)
        {
            return;
        }

        int buffered = _end - _start;
        if (_buffer.Length >= frameBytes)
        {
            _buffer.AsSpan(_start, buffered).CopyTo(_buffer);
        }
        else
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(frameBytes, _buffer.Length * 2));
            _buffer.AsSpan(_start, buffered).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        _start = 0;
        _end = buffered;
    }

    public async ValueTask DisposeAsync()
    {
        await _closeOnCancel.DisposeAsync();
        await _stream.DisposeAsync();
        byte[] buffer = _buffer;
        _buffer = [];
        ArrayPool<byte>.Shared.Return(buffer);
    }
}
