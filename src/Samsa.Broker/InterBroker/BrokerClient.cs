using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.InterBroker;

/// <summary>
/// One Kafka-protocol connection from this broker to another (controller channel, replica fetcher,
/// AlterPartition). Requests are pipelined: a send writes the frame and waits for the response with
/// its correlation id, which Kafka brokers return in request order. The connection is opened on the
/// first send and reopened on the next send after a failure; a failure fails every request in flight
/// with <see cref="BrokerClientException"/>.
/// <para>
/// A response of <see cref="SendAsync{TResponse}"/> is read into its own array, because decoded
/// messages are slices of it that outlive the call; <see cref="SendPooledAsync{TResponse}"/> reads
/// into a pooled buffer the caller gives back, for the replica fetcher's large, short-lived responses.
/// </para>
/// </summary>
internal sealed partial class BrokerClient : IAsyncDisposable
{
    private readonly string _host;
    private readonly int _port;
    private readonly string _clientId;
    private readonly BrokerClientOptions _options;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private Connection? _connection;
    private int _nextCorrelationId;

    public BrokerClient(string host, int port, string clientId, BrokerClientOptions options, ILogger logger)
    {
        _host = host;
        _port = port;
        _clientId = clientId;
        _options = options;
        _logger = logger;
    }

    public string Host => _host;

    public int Port => _port;

    /// <summary>Sends <paramref name="request"/> at <paramref name="version"/> and decodes the response.</summary>
    /// <exception cref="BrokerClientException">Unreachable, timed out, or the connection broke.</exception>
    public async ValueTask<TResponse> SendAsync<TResponse>(IRequestData request, short version, CancellationToken cancellationToken)
        where TResponse : IResponseData, new()
    {
        (PendingRequest pending, ResponseFrame frame) = await SendCoreAsync(request, version, pooled: false, cancellationToken).ConfigureAwait(false);
        return Decode<TResponse>(frame, pending);
    }

    /// <summary>
    /// As <see cref="SendAsync{TResponse}"/>, but the response frame is read into a buffer rented from
    /// the shared pool, which the caller returns by disposing the result once nothing decoded from it
    /// is used any more. A follower's fetch responses are up to replica.fetch.response.max.bytes each:
    /// a new array per round would be a large-object allocation, and the full collections they
    /// bring, on every fetch.
    /// </summary>
    /// <exception cref="BrokerClientException">Unreachable, timed out, or the connection broke.</exception>
    public async ValueTask<PooledResponse<TResponse>> SendPooledAsync<TResponse>(IRequestData request, short version, CancellationToken cancellationToken)
        where TResponse : IResponseData, new()
    {
        (PendingRequest pending, ResponseFrame frame) = await SendCoreAsync(request, version, pooled: true, cancellationToken).ConfigureAwait(false);
        TResponse response;
        try
        {
            response = Decode<TResponse>(frame, pending);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(frame.Buffer);
            throw;
        }

        return new PooledResponse<TResponse>(response, frame.Buffer);
    }

    private async ValueTask<(PendingRequest Pending, ResponseFrame Frame)> SendCoreAsync(IRequestData request, short version, bool pooled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        PendingRequest pending;
        Connection connection;
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            connection = _connection ??= await ConnectAsync(cancellationToken).ConfigureAwait(false);
            int correlationId = _nextCorrelationId++;
            pending = new PendingRequest(correlationId, request.ApiKey, version, pooled);
            using var frame = new PooledBufferWriter();
            try
            {
                Frame.WriteRequest(frame, new RequestHeader { ApiKey = request.ApiKey, ApiVersion = version, CorrelationId = correlationId, ClientId = _clientId }, request);
            }
            catch (ProtocolException e)
            {
                // A request this version cannot carry: a failed send like any other (callers' loops
                // survive those), not an exception that ends them. Nothing went on the wire.
                throw new BrokerClientException($"Cannot encode {request.ApiKey} v{version}: {e.Message}", e);
            }

            lock (connection.Pending)
            {
                // The read loop may have just failed this connection (and cleared its queue): a
                // request queued now would never be answered nor failed, only time out.
                if (connection.Failure is { } failure)
                {
                    throw new BrokerClientException($"Sending {request.ApiKey} to {_host}:{_port} failed: {failure.Message}", failure);
                }

                connection.Pending.Enqueue(pending);
            }

            try
            {
                await connection.Stream.WriteAsync(frame.WrittenMemory, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Fail(connection, e);
                throw new BrokerClientException($"Sending {request.ApiKey} to {_host}:{_port} failed: {e.Message}", e);
            }
            catch (OperationCanceledException e)
            {
                // Cancelled mid-write: part of the frame may be on the wire, and whatever is sent
                // next on this connection would be read as its rest. It cannot be used again.
                Fail(connection, e);
                throw;
            }
        }
        finally
        {
            _sendLock.Release();
        }

        ResponseFrame body;
        try
        {
            // A pooled buffer completed after a timeout or cancellation is left to the GC, not returned.
            body = await pending.Response.Task.WaitAsync(_options.RequestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            // A lost response desynchronizes the pipeline: drop the connection it was sent on (not a
            // newer one opened since), failing the rest.
            Fail(connection, e);

            throw new BrokerClientException($"{request.ApiKey} to {_host}:{_port} timed out after {_options.RequestTimeout.TotalMilliseconds:0} ms.", e);
        }

        return (pending, body);
    }

    private static TResponse Decode<TResponse>(ResponseFrame frame, PendingRequest pending)
        where TResponse : IResponseData, new()
    {
        try
        {
            var reader = new ProtocolReader(frame.Buffer.AsMemory(0, frame.Length));
            var header = new ResponseHeader();
            header.Read(ref reader, ResponseHeader.HeaderVersionFor(pending.ApiKey, pending.Version));
            var response = new TResponse();
            response.Read(ref reader, pending.Version);
            return response;
        }
        catch (ProtocolException e)
        {
            throw new BrokerClientException($"Malformed {pending.ApiKey} v{pending.Version} response: {e.Message}", e);
        }
    }

    private async Task<Connection> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            await socket.ConnectAsync(_host, _port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // A refused connect is a BrokerClientException even while the caller is stopping: the
            // fetcher treats only its own cancellation as an OperationCanceledException.
            socket.Dispose();
            throw new BrokerClientException($"Cannot connect to broker at {_host}:{_port}: {e.Message}", e);
        }

        var connection = new Connection(socket, new NetworkStream(socket, ownsSocket: true));
        connection.Reader = Task.Run(() => ReadLoopAsync(connection), CancellationToken.None);
        LogConnected(_logger, _host, _port);
        return connection;
    }

    private async Task ReadLoopAsync(Connection connection)
    {
        byte[] sizeBuffer = new byte[Frame.SizePrefixLength];
        // The request being answered, taken off the queue before its body is read, and its pooled
        // buffer until the response hands it on: a failure meanwhile must fail the one and return the other.
        PendingRequest? answering = null;
        byte[]? rented = null;
        try
        {
            while (true)
            {
                await connection.Stream.ReadExactlyAsync(sizeBuffer, _disposed.Token).ConfigureAwait(false);
                int size = BinaryPrimitives.ReadInt32BigEndian(sizeBuffer);
                if (size < 4 || size > _options.MaxResponseSize)
                {
                    throw new BrokerClientException($"Broker at {_host}:{_port} sent a response frame of {size} bytes.");
                }

                // Responses come in request order: this frame answers the oldest request, which also
                // says which kind of buffer to read into.
                lock (connection.Pending)
                {
                    connection.Pending.TryDequeue(out answering);
                }

                byte[] body = answering is { Pooled: true }
                    ? rented = ArrayPool<byte>.Shared.Rent(size)
                    : GC.AllocateUninitializedArray<byte>(size);
                await connection.Stream.ReadExactlyAsync(body.AsMemory(0, size), _disposed.Token).ConfigureAwait(false);
                int correlationId = BinaryPrimitives.ReadInt32BigEndian(body);
                if (answering is null || answering.CorrelationId != correlationId)
                {
                    throw new BrokerClientException($"Broker at {_host}:{_port} answered correlation id {correlationId}, expected {answering?.CorrelationId.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}.");
                }

                answering.Response.TrySetResult(new ResponseFrame(body, size));
                answering = null;
                rented = null;
            }
        }
        catch (Exception e)
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }

            Fail(connection, e, answering);
        }
    }

    /// <summary>
    /// Closes <paramref name="connection"/> (if still current) and fails everything in flight on it:
    /// the queued requests and <paramref name="answering"/>, the one the read loop had taken off the
    /// queue. Every request fails with the first failure's error.
    /// </summary>
    private void Fail(Connection connection, Exception cause, PendingRequest? answering = null)
    {
        PendingRequest[]? failed;
        BrokerClientException error;
        lock (connection.Pending)
        {
            if (connection.Failure is { } earlier)
            {
                error = earlier;
                failed = null;
            }
            else
            {
                error = connection.Failure = cause as BrokerClientException
                    ?? new BrokerClientException($"Connection to broker at {_host}:{_port} lost: {cause.Message}", cause);
                failed = [.. connection.Pending];
                connection.Pending.Clear();
            }
        }

        answering?.Response.TrySetException(error);
        if (failed is null)
        {
            return; // closed already; the first failure failed the rest
        }

        Interlocked.CompareExchange(ref _connection, null, connection);
        connection.Stream.Dispose();
        foreach (PendingRequest request in failed)
        {
            request.Response.TrySetException(error);
        }

        if (!_disposed.IsCancellationRequested)
        {
            LogDisconnected(_logger, _host, _port, cause.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        Connection? connection = Volatile.Read(ref _connection);
        if (connection is not null)
        {
            Fail(connection, new ObjectDisposedException(nameof(BrokerClient)));
            if (connection.Reader is not null)
            {
                await connection.Reader.ConfigureAwait(false);
            }
        }

        _sendLock.Dispose();
        _disposed.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connected to broker at {Host}:{Port}.")]
    private static partial void LogConnected(ILogger logger, string host, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection to broker at {Host}:{Port} closed: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string host, int port, string reason);

    private sealed class Connection(Socket socket, NetworkStream stream)
    {
        public Socket Socket { get; } = socket;

        public NetworkStream Stream { get; } = stream;

        public Task? Reader { get; set; }

        /// <summary>Requests sent on this connection and not yet answered, oldest first; also the lock for <see cref="Failure"/>.</summary>
        public Queue<PendingRequest> Pending { get; } = new();

        /// <summary>Why the connection was closed (null while open): what every request in flight on it fails with.</summary>
        public BrokerClientException? Failure { get; set; }
    }

    private sealed class PendingRequest(int correlationId, ApiKey apiKey, short version, bool pooled)
    {
        public int CorrelationId { get; } = correlationId;

        public ApiKey ApiKey { get; } = apiKey;

        public short Version { get; } = version;

        /// <summary>The response goes into a buffer from the shared pool (<see cref="SendPooledAsync{TResponse}"/>).</summary>
        public bool Pooled { get; } = pooled;

        public TaskCompletionSource<ResponseFrame> Response { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A response frame (after the size prefix): the first <see cref="Length"/> bytes of <see cref="Buffer"/>.</summary>
    private readonly record struct ResponseFrame(byte[] Buffer, int Length);
}
