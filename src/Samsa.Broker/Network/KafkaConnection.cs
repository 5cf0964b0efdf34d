using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Network;

/// <summary>
/// One client connection. A receive loop reads size-prefixed frames, decodes each and starts its
/// handler in arrival order (so appends keep the client's order); a send loop awaits the handlers'
/// results in that same order and writes the responses. Both loops are owned by
/// <see cref="RunAsync"/>; nothing outlives it.
/// <para>
/// Before it reads a request the receive loop needs room, and while it waits it does not read the
/// socket, so TCP pushes back on the client: room in the bounded queue between the loops (requests
/// in flight on this connection), room under <see cref="NetworkOptions.MaxBufferedBytesPerConnection"/>
/// (what this connection holds unanswered or unsent), and room in the broker-wide
/// <see cref="RequestBudget"/> (requests in handlers). Reads are zero-byte first, so a connection
/// waiting for its client holds no buffer, and hold no thread.
/// </para>
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
    private readonly RequestBudget _budget;
    private readonly ReleaseSignal _drained = new();
    private readonly CancellationToken _draining;
    private readonly Func<bool> _nothingInHandlers;
    private readonly string _client;
    private readonly ChunkCrcPolicy _chunkCrcs = new();

    // The client closed or broke the connection (not our StopReceiving): parked requests are cancelled
    // rather than answered, as Kafka drops responses for a closed channel. Without this a Fetch with
    // max_wait_ms = 2^31-1 kept its closed socket (CLOSE_WAIT) and buffers for 24 days (bench/Samsa.Fuzzer).
    private volatile bool _stopRequested;
    private volatile bool _peerClosed;

    // Requests whose handlers have not finished (the budget's "connection idle" test).
    private int _inHandlers;

    // Frames of unanswered requests, response data not yet written, and the batch being written.
    private long _heldBytes;

    // Broker-wide budget taken for the frame being received (its size is known from the prefix); -1: none.
    private int _reservedBytes = -1;

    // Send loop only: contexts whose responses are in the current output batch.
    private readonly List<RequestContext> _written = [];

    // Send loop only: the current output's parts, and the gathered write of its in-memory run.
    private readonly List<ReadOnlyMemory<byte>> _parts = [];
    private readonly List<ArraySegment<byte>> _segments = [];
    private long _lastActivityTimestamp;

    /// <param name="draining">Cancelled when the server stops reading requests: <see cref="RequestContext.Draining"/>.</param>
    public KafkaConnection(Socket socket, RequestRouter router, NetworkOptions options, RequestBudget budget, string listenerName, TimeProvider time, ILogger logger, CancellationToken draining)
    {
        _draining = draining;
        _budget = budget;
        _nothingInHandlers = () => Volatile.Read(ref _inHandlers) == 0;
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
            // An idle send loop writes a response on the thread that queued it (usually the receive
            // loop, just after the handler answered), instead of waiting for a thread-pool thread:
            // one scheduling hop less per request, which is what a loaded 2-core machine's p99
            // latency is made of (docs/benchmarks.md, "Latency and start-up"). Neither loop blocks
            // a thread, so running the other's continuation inline only delays it by one write.
            AllowSynchronousContinuations = true,
        });
        _lastActivityTimestamp = time.GetTimestamp();
        _client = socket.RemoteEndPoint?.ToString() ?? "unknown";
    }

    /// <summary>
    /// Time since bytes last arrived or a response left; the acceptor closes idle connections. As
    /// in Kafka (its selector marks a channel active on any read or write), part of a request
    /// counts: a client trickling a request is slow, not idle, and holds no thread while it trickles.
    /// </summary>
    public TimeSpan IdleTime => _time.GetElapsedTime(Interlocked.Read(ref _lastActivityTimestamp));

    public async Task RunAsync(CancellationToken stopping)
    {
        using var connectionClosed = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var stream = new NetworkStream(_socket, ownsSocket: false);
        PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true, useZeroByteReads: true));
        Task sending = SendThenStopReceivingAsync(stream, connectionClosed);
        try
        {
            await ReceiveLoopAsync(input, connectionClosed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (connectionClosed.IsCancellationRequested)
        {
        }
        catch (IOException e)
        {
            _peerClosed = true;
            LogConnectionError(_logger, _client, e.Message);
        }
        catch (SocketException e)
        {
            _peerClosed = true;
            LogConnectionError(_logger, _client, e.Message);
        }
        finally
        {
            // Let in-flight requests finish and their responses go out, then close; unless nobody is there to read them.
            _pending.Writer.TryComplete();
            if (_peerClosed)
            {
                await connectionClosed.CancelAsync().ConfigureAwait(false);
            }

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
            finally
            {
                ReleaseUnsent();
            }
            if (_reservedBytes >= 0)
            {
                _budget.Release(_reservedBytes); // the connection ended inside a frame
                _reservedBytes = -1;
            }

            await input.CompleteAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
        }
    }

    /// <summary>
    /// Once sending ends (all answered, or the socket failed) the receive loop must not wait on
    /// anything the send loop would have freed: cancel it.
    /// </summary>
    private async Task SendThenStopReceivingAsync(NetworkStream stream, CancellationTokenSource connectionClosed)
    {
        try
        {
            await SendLoopAsync(stream, connectionClosed.Token).ConfigureAwait(false);
        }
        finally
        {
            await connectionClosed.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Graceful stop: no more requests are read; those in flight are answered, then the connection closes.</summary>
    public void StopReceiving()
    {
        _stopRequested = true;
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
            Touch(); // any bytes are activity, even part of a frame
            while (true)
            {
                if (Volatile.Read(ref _heldBytes) > _options.MaxBufferedBytesPerConnection)
                {
                    await WaitUntilDrainedAsync(cancellationToken).ConfigureAwait(false);
                }

                FrameStatus status = TryReadFrameSize(buffer, out int size);
                if (status == FrameStatus.Invalid)
                {
                    return; // oversized or negative size: close before allocating anything
                }

                if (status == FrameStatus.NeedMoreData)
                {
                    break;
                }

                // Room for the request before the rest of a large frame is read: while it waits, the
                // socket is not. A small frame fits the read buffer anyway, so it asks once complete
                // (a client trickling a small request holds no budget meanwhile).
                bool complete = buffer.Length >= Frame.SizePrefixLength + (long)size;
                if (_reservedBytes < 0 && (complete || size > RequestBudget.SmallRequestBytes))
                {
                    if (!_budget.TryAcquire(size, _nothingInHandlers()))
                    {
                        await _budget.AcquireAsync(size, _nothingInHandlers, cancellationToken).ConfigureAwait(false);
                    }

                    _reservedBytes = size;
                }

                if (!complete)
                {
                    break;
                }

                byte[] frame = TakeFrame(ref buffer, size, out ChunkedCrc32C? checksums);
                _reservedBytes = -1; // the request owns it now
                if (!await DispatchAsync(frame, size, checksums, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                _peerClosed = result.IsCompleted && !_stopRequested;
                return;
            }
        }
    }

    /// <summary>Waits until what this connection holds is back under its cap (the send loop wrote some).</summary>
    private async ValueTask WaitUntilDrainedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task drained = _drained.Next();
            if (Volatile.Read(ref _heldBytes) <= _options.MaxBufferedBytesPerConnection)
            {
                return;
            }

            await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private FrameStatus TryReadFrameSize(ReadOnlySequence<byte> buffer, out int size)
    {
        size = 0;
        Span<byte> prefix = stackalloc byte[Frame.SizePrefixLength];
        if (buffer.Length < Frame.SizePrefixLength)
        {
            return FrameStatus.NeedMoreData;
        }

        buffer.Slice(0, Frame.SizePrefixLength).CopyTo(prefix);
        FrameStatus status = Frame.TryReadSize(prefix, _options.SocketRequestMaxBytes, out size);
        if (status == FrameStatus.Invalid)
        {
            LogFrameTooLarge(_logger, _client, size, _options.SocketRequestMaxBytes);
        }

        return status;
    }

    /// <summary>
    /// Copies the whole frame of <paramref name="size"/> bytes out of <paramref name="buffer"/> and
    /// moves past it. A large Produce frame is copied in chunks whose CRCs are taken as each is
    /// copied (<see cref="ChunkedCrc32C"/>, when <see cref="ChunkCrcPolicy"/> says they pay off): by
    /// the time the log checks its batches, a megabyte of them has left the core's caches, and the
    /// chunk CRCs spare most of that second read.
    /// </summary>
    private byte[] TakeFrame(ref ReadOnlySequence<byte> buffer, int size, out ChunkedCrc32C? checksums)
    {
        // The decoded request refers into its frame (records are slices), so each frame gets its
        // own pooled buffer, returned once the response is written.
        byte[] frame = ArrayPool<byte>.Shared.Rent(Math.Max(size, 1));
        ReadOnlySequence<byte> bytes = buffer.Slice(Frame.SizePrefixLength, size);
        if (_chunkCrcs.ShouldTake(bytes))
        {
            checksums = ChunkedCrc32C.CopyFrom(bytes, frame);
        }
        else
        {
            checksums = null;
            bytes.CopyTo(frame);
        }

        buffer = buffer.Slice(Frame.SizePrefixLength + size);
        return frame;
    }


    /// <summary>Decodes one frame and queues its handler's result. False means: close the connection.</summary>
    private async ValueTask<bool> DispatchAsync(byte[] frame, int frameLength, ChunkedCrc32C? checksums, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _heldBytes, frameLength);
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
                    _budget.Release(frameLength);
                    var fallback = new PendingResponse(header.CorrelationId, ApiKey.ApiVersions, 0, frame, frameLength, null, new ValueTask<IResponseData?>(UnsupportedApiVersions(handler)));
                    try
                    {
                        await _pending.Writer.WriteAsync(fallback, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        ArrayPool<byte>.Shared.Return(frame);
                        throw;
                    }

                    return true;
                }

                LogUnsupported(_logger, _client, (short)header.ApiKey, header.ApiVersion);
                DropFrame(frame, frameLength);
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
            DropFrame(frame, frameLength);
            return false;
        }

        var context = new RequestContext(header, _socket.RemoteEndPoint, _listenerName) { SendsFileRegions = SocketFileSender.IsSupported, ReceivedChecksums = checksums, Draining = _draining };
        Interlocked.Increment(ref _inHandlers);
        ValueTask<IResponseData?> response = Track(handler!.HandleAsync(context, body, cancellationToken), context, frameLength);
        var pending = new PendingResponse(header.CorrelationId, header.ApiKey, header.ApiVersion, frame, frameLength, context, response);
        try
        {
            await _pending.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The connection closed while the queue was full (a client that stopped reading, then
            // left): this answer will never be sent, so what it holds (a fetch's file leases keep
            // deleted segments open) goes back once its handler is done.
            _ = ReleaseWhenHandledAsync(pending);
            throw;
        }

        return true;
    }

    /// <summary>A frame that gets no response: give back its buffer, budget and held bytes.</summary>
    private void DropFrame(byte[] frame, int frameLength)
    {
        _budget.Release(frameLength);
        Interlocked.Add(ref _heldBytes, -frameLength);
        ArrayPool<byte>.Shared.Return(frame);
    }

    /// <summary>The handler's result, which frees what the request took as soon as the handler is done.</summary>
    private ValueTask<IResponseData?> Track(ValueTask<IResponseData?> handled, RequestContext context, int frameLength)
    {
        if (!handled.IsCompleted)
        {
            return WhenHandlerFinishesAsync(handled, context, frameLength);
        }

        HandlerFinished(context, frameLength);
        return handled;
    }

    /// <summary>
    /// The connection is closing with responses it will never send (the send loop failed or the
    /// peer left): their response data (rented buffers, file leases that keep segment files open)
    /// and their request frames go back to the pool as soon as each handler is done.
    /// </summary>
    private void ReleaseUnsent()
    {
        ReturnWritten();
        while (_pending.Reader.TryRead(out PendingResponse unsent))
        {
            _ = ReleaseWhenHandledAsync(unsent);
        }
    }

    /// <summary>
    /// Releases an answer that will not be sent once its handler is done: its response data, and
    /// its request frame, which the handler may still be reading (a produce's records are slices of it).
    /// </summary>
    private static async Task ReleaseWhenHandledAsync(PendingResponse unsent)
    {
        try
        {
            _ = await unsent.Response.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Nobody is there for the answer: whatever the handler ended with, only its data is released.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        unsent.Context?.ReturnResponseBuffers();
        ArrayPool<byte>.Shared.Return(unsent.Frame);
    }

    /// <summary>
    /// Frees the broker-wide budget as soon as the handler is done, not when the response is
    /// written, so a client that does not read its responses holds only its own connection's room.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<IResponseData?> WhenHandlerFinishesAsync(ValueTask<IResponseData?> response, RequestContext context, int frameLength)
    {
        try
        {
            return await response.ConfigureAwait(false);
        }
        finally
        {
            HandlerFinished(context, frameLength);
        }
    }

    private void HandlerFinished(RequestContext context, int frameLength)
    {
        if (context.ReceivedChecksums is { } checksums)
        {
            _chunkCrcs.Report(checksums);
        }

        // Response data (fetched records) is held from now until the send loop has written it.
        Interlocked.Add(ref _heldBytes, context.ResponseBufferBytes);
        Interlocked.Decrement(ref _inHandlers);
        _budget.Release(frameLength);
    }

    private static ApiVersionsResponseData UnsupportedApiVersions(IRequestHandler handler) => new()
    {
        ErrorCode = (short)ErrorCode.UnsupportedVersion,
        ApiKeys = [new ApiVersionsResponseData.ApiVersion { ApiKey = (short)ApiKey.ApiVersions, MinVersion = handler.MinVersion, MaxVersion = handler.MaxVersion }],
    };

    private async Task SendLoopAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        // Fetched records are referenced, not copied into the output: they go to the socket in one gathered write.
        using var output = new PooledBufferWriter(64 * 1024) { ReferencesLargeFields = true };
        _written.Clear();
        ChannelReader<PendingResponse> pending = _pending.Reader;
        while (await pending.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            output.Clear();
            long batchHeld = 0;
            // Batch the responses that are already complete into one write, up to the connection's cap.
            while (pending.TryPeek(out PendingResponse next))
            {
                int batched = output.WrittenCount + output.ReferencedCount;
                if (batched > 0 && (!next.Response.IsCompleted || batched >= _options.MaxBufferedBytesPerConnection))
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
                    next.Context?.ReturnResponseBuffers();
                    throw;
                }
#pragma warning disable CA1031 // A handler failure is a bug: log it and close this connection, never leave it hanging.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogHandlerFailed(_logger, next.ApiKey.ToString(), next.ApiVersion, _client, e);
                    next.Context?.ReturnResponseBuffers(); // what it took before failing (file leases) is not left to a finalizer
                    Abort();
                    return;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(next.Frame);
                }

                batchHeld += next.FrameLength;
                if (body is not null)
                {
                    Frame.WriteResponse(output, next.CorrelationId, body, next.ApiVersion);
                }

                if (next.Context is not null)
                {
                    batchHeld += next.Context.ResponseBufferBytes;
                    _written.Add(next.Context);
                }
            }

            if (output.WrittenCount > 0)
            {
                Interlocked.Add(ref _heldBytes, output.WrittenCount);
                if (output.HasReferences)
                {
                    await SendGatheredAsync(output, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await stream.WriteAsync(output.WrittenMemory, cancellationToken).ConfigureAwait(false);
                }

                Interlocked.Add(ref _heldBytes, -output.WrittenCount);
                Touch();
            }

            // Response data (fetched records) has been sent: its buffers go back, its file leases
            // are released. (A failed send leaves them to ReleaseUnsent.)
            ReturnWritten();
            Interlocked.Add(ref _heldBytes, -batchHeld);
            _drained.Release();
        }
    }

    /// <summary>
    /// Sends the output's own bytes and the referenced records in order: each run of in-memory parts
    /// with one <c>sendmsg</c>, each file range with <c>sendfile</c>. The socket calls have no
    /// cancellation token: cancelling shuts the socket down, which fails the send, as closing would.
    /// </summary>
    private async Task SendGatheredAsync(PooledBufferWriter output, CancellationToken cancellationToken)
    {
        _parts.Clear();
        output.GetParts(_parts);
        await using CancellationTokenRegistration abort = cancellationToken.UnsafeRegister(static state => ((KafkaConnection)state!).Abort(), this);
        int next = 0;
        while (next < _parts.Count)
        {
            if (IsSentFromFile(_parts[next], out FileRegion? region, out int start, out int length))
            {
                await SocketFileSender.SendAsync(_socket, region, start, length).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                next++;
                continue;
            }

            // A run of in-memory parts up to the next file range: one sendmsg.
            _segments.Clear();
            for (; next < _parts.Count && !IsSentFromFile(_parts[next], out _, out _, out _); next++)
            {
                _segments.Add(InMemory(_parts[next]));
            }

            await SendSegmentsAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether <paramref name="part"/> is a file range to send with sendfile (where sendfile is on).</summary>
    private static bool IsSentFromFile(ReadOnlyMemory<byte> part, [NotNullWhen(true)] out FileRegion? region, out int start, out int length)
    {
        region = null;
        start = length = 0;
        return SocketFileSender.IsSupported && MemoryMarshal.TryGetMemoryManager(part, out region, out start, out length);
    }

    /// <summary>A part as an array segment; a file range where sendfile is off reads its bytes first.</summary>
    private static ArraySegment<byte> InMemory(ReadOnlyMemory<byte> part)
    {
        if (MemoryMarshal.TryGetMemoryManager(part, out FileRegion? region, out _, out _))
        {
            _ = region.GetSpan(); // array-backed from here on
        }

        return MemoryMarshal.TryGetArray(part, out ArraySegment<byte> segment)
            ? segment
            : throw new InvalidOperationException("A referenced field is neither array-backed nor a file region.");
    }

    private void ReturnWritten()
    {
        foreach (RequestContext context in _written)
        {
            context.ReturnResponseBuffers();
        }

        _written.Clear();
    }

    /// <summary>One gathered write of <see cref="_segments"/>, resumed after partial sends.</summary>
    private async Task SendSegmentsAsync(CancellationToken cancellationToken)
    {
        while (_segments.Count > 0)
        {
            int sent = await _socket.SendAsync(_segments, SocketFlags.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (sent <= 0)
            {
                throw new IOException("The socket accepted no bytes of a gathered send.");
            }

            DropSent(_segments, sent);
        }
    }

    /// <summary>Removes the first <paramref name="sent"/> bytes from the segment list (a partial send).</summary>
    private static void DropSent(List<ArraySegment<byte>> segments, int sent)
    {
        int whole = 0;
        while (whole < segments.Count && sent >= segments[whole].Count)
        {
            sent -= segments[whole].Count;
            whole++;
        }

        segments.RemoveRange(0, whole);
        if (sent > 0)
        {
            segments[0] = segments[0][sent..];
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivityTimestamp, _time.GetTimestamp());

    private readonly record struct PendingResponse(int CorrelationId, ApiKey ApiKey, short ApiVersion, byte[] Frame, int FrameLength, RequestContext? Context, ValueTask<IResponseData?> Response);

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
