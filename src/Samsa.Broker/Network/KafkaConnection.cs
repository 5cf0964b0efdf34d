using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Network;

/// <summary>
/// One client connection. A receive loop reads size-prefixed frames, decodes each and starts its
/// handler in arrival order (so appends keep the client's order); a send loop awaits the handlers'
/// results in that same order and writes the responses. The bounded queue between the two caps
/// the requests a connection can have in flight. Both loops are owned by <see cref="RunAsync"/>;
/// nothing outlives it.
/// </summary>
internal sealed partial class KafkaConnection
{
    private readonly Socket _socket;
    private readonly RequestRouter _router;
    private readonly NetworkOptions _options;
    private readonly string _listenerName;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<PendingResponse> _pending;
    private readonly string _client;

    // Send loop only: contexts whose responses are in the current output batch.
    private readonly List<RequestContext> _written = [];
    private long _lastActivityTimestamp;

    public KafkaConnection(Socket socket, RequestRouter router, NetworkOptions options, string listenerName, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        _router = router;
        _options = options;
        _listenerName = listenerName;
        _time = time;
        _logger = logger;
        _pending = Channel.CreateBounded<PendingResponse>(new BoundedChannelOptions(options.MaxInFlightRequestsPerConnection)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _lastActivityTimestamp = time.GetTimestamp();
        _client = socket.RemoteEndPoint?.ToString() ?? "unknown";
    }

    /// <summary>Time since the last request arrived or response left; the acceptor closes idle connections.</summary>
    public TimeSpan IdleTime => _time.GetElapsedTime(Interlocked.Read(ref _lastActivityTimestamp));

    public async Task RunAsync(CancellationToken stopping)
    {
        using var connectionClosed = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var stream = new NetworkStream(_socket, ownsSocket: false);
        PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        Task sending = SendLoopAsync(stream, connectionClosed.Token);
        try
        {
            await ReceiveLoopAsync(input, connectionClosed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connectionClosed.IsCancellationRequested)
        {
        }
        catch (IOException e)
        {
            LogConnectionError(_logger, _client, e.Message);
        }
        catch (SocketException e)
        {
            LogConnectionError(_logger, _client, e.Message);
        }
        finally
        {
            // Let in-flight requests finish and their responses go out, then close.
            _pending.Writer.TryComplete();
            try
            {
                await sending.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            catch (IOException)
            {
            }
            catch (SocketException)
            {
            }

            await input.CompleteAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
        }
    }

    /// <summary>Graceful stop: no more requests are read; those in flight are answered, then the connection closes.</summary>
    public void StopReceiving()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Receive);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Closes the connection from outside (idle timeout, shutdown): the loops see EOF and end.</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private async Task ReceiveLoopAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (true)
            {
                FrameStatus status = TryTakeFrame(ref buffer, out byte[]? frame, out int frameLength);
                if (status == FrameStatus.Invalid)
                {
                    return; // oversized or negative size: close before allocating anything
                }

                if (status == FrameStatus.NeedMoreData)
                {
                    break;
                }

                Touch();
                if (!await DispatchAsync(frame!, frameLength, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    private FrameStatus TryTakeFrame(ref ReadOnlySequence<byte> buffer, out byte[]? frame, out int frameLength)
    {
        frame = null;
        frameLength = 0;
        Span<byte> prefix = stackalloc byte[Frame.SizePrefixLength];
        if (buffer.Length < Frame.SizePrefixLength)
        {
            return FrameStatus.NeedMoreData;
        }

        buffer.Slice(0, Frame.SizePrefixLength).CopyTo(prefix);
        FrameStatus status = Frame.TryReadSize(prefix, _options.SocketRequestMaxBytes, out int size);
        if (status != FrameStatus.Complete)
        {
            if (status == FrameStatus.Invalid)
            {
                LogFrameTooLarge(_logger, _client, size, _options.SocketRequestMaxBytes);
            }

            return status;
        }

        if (buffer.Length < Frame.SizePrefixLength + (long)size)
        {
            return FrameStatus.NeedMoreData;
        }

        // The decoded request refers into its frame (records are slices), so each frame gets its
        // own pooled buffer, returned once the handler has produced the response.
        frame = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        buffer.Slice(Frame.SizePrefixLength, size).CopyTo(frame);
        frameLength = size;
        buffer = buffer.Slice(Frame.SizePrefixLength + size);
        return FrameStatus.Complete;
    }

    /// <summary>Decodes one frame and queues its handler's result. False means: close the connection.</summary>
    private async ValueTask<bool> DispatchAsync(byte[] frame, int frameLength, CancellationToken cancellationToken)
    {
        var header = new RequestHeader();
        IRequestData? body;
        IRequestHandler? handler;
        try
        {
            var reader = new ProtocolReader(frame.AsMemory(0, frameLength));
            header.Read(ref reader);
            if (!_router.Accepts(header.ApiKey, header.ApiVersion, out handler))
            {
                if (header.ApiKey == ApiKey.ApiVersions && handler is not null)
                {
                    // KIP-511: answer a too-new ApiVersions with a v0 error naming our range, so
                    // the client can retry with a version we speak.
                    var fallback = new PendingResponse(header.CorrelationId, ApiKey.ApiVersions, 0, frame, null, new ValueTask<IResponseData?>(UnsupportedApiVersions(handler)));
                    await _pending.Writer.WriteAsync(fallback, cancellationToken).ConfigureAwait(false);
                    return true;
                }

                LogUnsupported(_logger, _client, (short)header.ApiKey, header.ApiVersion);
                ArrayPool<byte>.Shared.Return(frame);
                return false;
            }

            body = ApiMessageTable.CreateRequest(header.ApiKey)!;
            // Bytes after the body are ignored, as Kafka does. Captured and decoded
            // (tests/Samsa.Protocol.Tests/Golden/AllTopicsMetadataFrameTests): librdkafka 2.16's
            // all-topics Metadata v9+ leaves its 4-byte topic-count slot unfinalized (00 00 00 00,
            // the first byte a compact null array), so the body is three bytes longer than the
            // schema says and AllowAutoTopicCreation reads as false from the padding (harmless:
            // all-topics requests never auto-create). Our schema is right; the client pads.
            body.Read(ref reader, header.ApiVersion);
        }
        catch (ProtocolException e)
        {
            LogMalformed(_logger, _client, (short)header.ApiKey, header.ApiVersion, e.Message);
            ArrayPool<byte>.Shared.Return(frame);
            return false;
        }

        var context = new RequestContext(header, _socket.RemoteEndPoint, _listenerName);
        ValueTask<IResponseData?> response = handler!.HandleAsync(context, body, cancellationToken);
        await _pending.Writer.WriteAsync(new PendingResponse(header.CorrelationId, header.ApiKey, header.ApiVersion, frame, context, response), cancellationToken).ConfigureAwait(false);
        return true;
    }

    private static ApiVersionsResponseData UnsupportedApiVersions(IRequestHandler handler) => new()
    {
        ErrorCode = (short)ErrorCode.UnsupportedVersion,
        ApiKeys = [new ApiVersionsResponseData.ApiVersion { ApiKey = (short)ApiKey.ApiVersions, MinVersion = handler.MinVersion, MaxVersion = handler.MaxVersion }],
    };

    private async Task SendLoopAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        using var output = new PooledBufferWriter(64 * 1024);
        _written.Clear();
        ChannelReader<PendingResponse> pending = _pending.Reader;
        while (await pending.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            output.Clear();
            // Batch every response that is already complete into one write.
            while (pending.TryPeek(out PendingResponse next))
            {
                if (!next.Response.IsCompleted && output.WrittenCount > 0)
                {
                    break;
                }

                pending.TryRead(out _);
                IResponseData? body;
                try
                {
                    body = await next.Response.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
#pragma warning disable CA1031 // A handler failure is a bug: log it and close this connection, never leave it hanging.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogHandlerFailed(_logger, next.ApiKey.ToString(), next.ApiVersion, _client, e);
                    Abort();
                    return;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(next.Frame);
                }

                if (body is not null)
                {
                    Frame.WriteResponse(output, next.CorrelationId, body, next.ApiVersion);
                }

                if (next.Context is not null)
                {
                    _written.Add(next.Context);
                }
            }

            if (output.WrittenCount > 0)
            {
                await stream.WriteAsync(output.WrittenMemory, cancellationToken).ConfigureAwait(false);
                Touch();
            }

            // Response data (fetched records) was copied into the output above; its buffers can go back.
            foreach (RequestContext context in _written)
            {
                context.ReturnResponseBuffers();
            }

            _written.Clear();
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivityTimestamp, _time.GetTimestamp());

    private readonly record struct PendingResponse(int CorrelationId, ApiKey ApiKey, short ApiVersion, byte[] Frame, RequestContext? Context, ValueTask<IResponseData?> Response);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing connection from {Client}: frame of {Size} bytes exceeds socket.request.max.bytes ({Max}).")]
    private static partial void LogFrameTooLarge(ILogger logger, string client, int size, int max);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing connection from {Client}: unsupported API key {ApiKey} version {Version}.")]
    private static partial void LogUnsupported(ILogger logger, string client, short apiKey, short version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing connection from {Client}: malformed request (API key {ApiKey} version {Version}): {Reason}")]
    private static partial void LogMalformed(ILogger logger, string client, short apiKey, short version, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handler for {ApiKey} v{Version} failed; closing the connection from {Client}.")]
    private static partial void LogHandlerFailed(ILogger logger, string apiKey, short version, string client, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Client} ended: {Reason}")]
    private static partial void LogConnectionError(ILogger logger, string client, string reason);
}
