using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// One TCP connection to one ZooKeeper server, as the Java client's ClientCnxnSocket: the session
/// handshake, then requests pipelined under one write lock and replies matched in order by a single
/// receive loop (ZooKeeper answers a session's requests in the order they were sent; a reply whose
/// xid is not the oldest outstanding one means a broken stream). Notifications (xid -1), ping
/// replies (-2) and SetWatches replies (-8) are handled in the loop. A ping goes out when nothing
/// was sent for about a third of the session timeout; if nothing is heard for two thirds of it,
/// the connection is dropped (ClientCnxn's readTimeout), except that after a stall of this process
/// the server gets a fresh window, and five sixths of it without a word always drop
/// (<see cref="ServerSilenceWatch"/>). On teardown every outstanding request
/// completes with a local ConnectionLoss.
/// </summary>
internal sealed class ZooKeeperConnection : IDisposable
{
    /// <summary>Frames are an int32 length then the record; this is the length prefix.</summary>
    private const int LengthPrefix = 4;

    /// <summary>SetWatches goes out in batches of this many path bytes, as ClientCnxn's SET_WATCHES_MAX_LENGTH (128 KiB).</summary>
    private const int SetWatchesMaxBytes = 128 * 1024;

    /// <summary>The ConnectResponse is 36 or 37 bytes (a 16-byte password); anything far bigger is not ZooKeeper.</summary>
    private const int MaxConnectResponseLength = 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly int _maxFrameLength;
    private readonly ClientWatchRegistry _watches;
    private readonly Action<WatchEventType, string> _onNotification;
    private readonly Action<long> _onZxid;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Queue<PendingRequest> _inFlight = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _pingFrame = new byte[12];
    private readonly long _openedTicks;
    private bool _isClosed;
    private int _nextXid;
    private long _lastSendTicks;
    private long _lastReceiveTicks;

    private ZooKeeperConnection(
        ZooKeeperEndpoint endpoint,
        Socket socket,
        NetworkStream stream,
        int negotiatedTimeoutMs,
        long sessionId,
        byte[] password,
        int maxFrameLength,
        ClientWatchRegistry watches,
        Action<WatchEventType, string> onNotification,
        Action<long> onZxid)
    {
        Endpoint = endpoint;
        _socket = socket;
        _stream = stream;
        NegotiatedTimeoutMs = negotiatedTimeoutMs;
        SessionId = sessionId;
        Password = password;
        _maxFrameLength = maxFrameLength;
        _watches = watches;
        _onNotification = onNotification;
        _onZxid = onZxid;
        _openedTicks = _lastSendTicks = _lastReceiveTicks = Environment.TickCount64;

        // A ping is a bare RequestHeader: xid -2, type ping (11).
        BinaryPrimitives.WriteInt32BigEndian(_pingFrame, 8);
        BinaryPrimitives.WriteInt32BigEndian(_pingFrame.AsSpan(4), ZooKeeperXid.Ping);
        BinaryPrimitives.WriteInt32BigEndian(_pingFrame.AsSpan(8), (int)ZooKeeperOpCode.Ping);
    }

    public ZooKeeperEndpoint Endpoint { get; }

    /// <summary>The session timeout the server granted; 0 or less means the session has expired.</summary>
    public int NegotiatedTimeoutMs { get; }

    public long SessionId { get; }

    public byte[] Password { get; }

    public bool IsOpen => !Volatile.Read(ref _isClosed);

    /// <summary>Completes with the reason once the connection is torn down.</summary>
    public Task<string> Closed => _closed.Task;

    /// <summary>
    /// Connects and performs the handshake: ConnectRequest (protocolVersion 0, lastZxidSeen,
    /// timeOut, sessionId, passwd) followed by the readOnly flag (false: we never want a server cut
    /// off from its quorum), and reads the ConnectResponse (protocolVersion, timeOut, sessionId,
    /// passwd, then readOnly, which old servers leave out). A new session sends id 0 and a zeroed
    /// 16-byte password; a reconnect sends the session's own to keep it.
    /// </summary>
    /// <exception cref="IOException">The server closed, sent something that is not a ConnectResponse, or did not answer in time.</exception>
    /// <exception cref="SocketException">The server could not be reached.</exception>
    public static async Task<ZooKeeperConnection> OpenAsync(
        ZooKeeperEndpoint endpoint,
        long lastZxidSeen,
        int requestedTimeoutMs,
        long sessionId,
        byte[] password,
        TimeSpan timeout,
        int maxFrameLength,
        ClientWatchRegistry watches,
        Action<WatchEventType, string> onNotification,
        Action<long> onZxid,
        CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        NetworkStream? stream = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, deadline.Token).ConfigureAwait(false);
            if (socket.LocalEndPoint is IPEndPoint local && local.Equals(socket.RemoteEndPoint))
            {
                // TCP simultaneous open: with nothing listening on a loopback port in the ephemeral
                // range, the kernel may give the socket that very port, and it connects to itself. It
                // would read its own ConnectRequest back, and hold the port the server restarts on.
                throw new IOException($"Connected to itself at {local}: no server is listening");
            }

            stream = new NetworkStream(socket, ownsSocket: true);
            using (var request = new JuteWriter(64))
            {
                request.WriteInt32(0);
                request.WriteInt32(0);
                request.WriteInt64(lastZxidSeen);
                request.WriteInt32(requestedTimeoutMs);
                request.WriteInt64(sessionId);
                request.WriteBuffer(password);
                request.WriteBool(false);
                request.FinishFrame();
                await stream.WriteAsync(request.Frame, deadline.Token).ConfigureAwait(false);
            }

            byte[] prefix = new byte[LengthPrefix];
            await stream.ReadExactlyAsync(prefix, deadline.Token).ConfigureAwait(false);
            int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (length is < 20 or > MaxConnectResponseLength)
            {
                throw new InvalidDataException($"Not a ZooKeeper ConnectResponse: frame length {length}");
            }

            byte[] body = new byte[length];
            await stream.ReadExactlyAsync(body, deadline.Token).ConfigureAwait(false);
            var reader = new JuteReader(body);
            _ = reader.ReadInt32();
            int negotiatedTimeoutMs = reader.ReadInt32();
            long grantedSessionId = reader.ReadInt64();
            byte[] grantedPassword = reader.ReadBuffer();
            if (reader.Failed)
            {
                throw new InvalidDataException("Malformed ZooKeeper ConnectResponse");
            }

            return new ZooKeeperConnection(endpoint, socket, stream, negotiatedTimeoutMs, grantedSessionId, grantedPassword, maxFrameLength, watches, onNotification, onZxid);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Dispose(socket, stream);
            throw new IOException($"No ZooKeeper handshake with {endpoint} within {timeout.TotalMilliseconds:F0} ms");
        }
        catch
        {
            Dispose(socket, stream);
            throw;
        }
    }

    /// <summary>Starts the receive loop and the pings.</summary>
    public void Start()
    {
        _ = Task.Run(ReceiveLoopAsync);
        _ = Task.Run(PingLoopAsync);
    }

    /// <summary>
    /// Sends a request, assigning its xid. Never throws for a broken socket: the connection is torn
    /// down instead, which completes the request with ConnectionLoss. Cancellation is honoured only
    /// while waiting for the write lock, never halfway through a frame.
    /// </summary>
    public async ValueTask SendAsync(PendingRequest request, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_inFlight)
            {
                if (_isClosed)
                {
                    request.Complete(ZooKeeperReply.Local(CoordinationError.ConnectionLoss));
                    return;
                }

                // Xids only have to grow within a connection; wrap before int.MaxValue like ClientCnxn.
                _nextXid = _nextXid == int.MaxValue ? 1 : _nextXid + 1;
                request.Xid = _nextXid;
                request.Request.SetXid(_nextXid);
                request.WriteStarted = true;
                _inFlight.Enqueue(request);
            }

            await WriteAsync(request.Request.Frame).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Re-arms the client's watches on this connection (SetWatches, xid -8): the server fires at once
    /// the ones whose node changed after <paramref name="relativeZxid"/> and keeps the rest.
    /// </summary>
    public async ValueTask SendSetWatchesAsync(long relativeZxid, List<string> data, List<string> exist, List<string> child)
    {
        int d = 0, e = 0, c = 0;
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            while (d < data.Count || e < exist.Count || c < child.Count)
            {
                using var frame = JuteWriter.ForRequest(ZooKeeperOpCode.SetWatches);
                frame.SetXid(ZooKeeperXid.SetWatches);
                frame.WriteInt64(relativeZxid);
                int budget = SetWatchesMaxBytes;
                d = WriteBatch(frame, data, d, ref budget);
                e = WriteBatch(frame, exist, e, ref budget);
                c = WriteBatch(frame, child, c, ref budget);
                frame.FinishFrame();
                if (!await WriteAsync(frame.Frame).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends closeSession (op -11) and waits up to <paramref name="timeout"/> for its reply.</summary>
    /// <returns>True if the server confirmed: the session and its ephemerals are gone.</returns>
    public async Task<bool> CloseSessionAsync(TimeSpan timeout)
    {
        using var request = JuteWriter.ForRequest(ZooKeeperOpCode.CloseSession, 16);
        request.FinishFrame();
        var pending = new PendingRequest(ZooKeeperOpCode.CloseSession, request);
        await SendAsync(pending, CancellationToken.None).ConfigureAwait(false);
        try
        {
            ZooKeeperReply reply = await pending.Reply.WaitAsync(timeout).ConfigureAwait(false);
            reply.Release();
            return !reply.IsLocal && reply.Error == CoordinationError.Ok;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Tears the connection down (once): closes the socket and fails what is outstanding with ConnectionLoss.</summary>
    public void Abort(string reason)
    {
        PendingRequest[] outstanding;
        lock (_inFlight)
        {
            if (_isClosed)
            {
                return;
            }

            Volatile.Write(ref _isClosed, true);
            outstanding = [.. _inFlight];
            _inFlight.Clear();
        }

        try
        {
            _stop.Cancel();
            Dispose(_socket, _stream);
        }
        finally
        {
            // Whatever the above threw, the requests and whoever waits on Closed must hear: a
            // closed flag without Closed completed held a broker's shutdown for good.
            foreach (PendingRequest request in outstanding)
            {
                request.Complete(ZooKeeperReply.Local(CoordinationError.ConnectionLoss));
            }

            _closed.TrySetResult(reason);

            // Disposed here, by the one thread that cancelled it: Dispose racing an abort from the
            // receive loop (the server closes the socket right after answering closeSession) used
            // to dispose it between that abort's closed flag and its Cancel, which then threw.
            _stop.Dispose();
        }
    }

    public void Dispose() => Abort("closed by the client");

    private static int WriteBatch(JuteWriter frame, List<string> paths, int start, ref int budget)
    {
        int end = start;
        while (end < paths.Count && (end == start || budget - paths[end].Length >= 0))
        {
            budget -= paths[end].Length + 4;
            end++;
        }

        frame.WriteInt32(end - start);
        for (int i = start; i < end; i++)
        {
            frame.WriteString(paths[i]);
        }

        return end;
    }

    private static void Dispose(Socket socket, NetworkStream? stream)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }

        stream?.Dispose();
        socket.Dispose();
    }

    /// <summary>Writes under the caller's write lock; on failure tears the connection down and returns false.</summary>
    private async ValueTask<bool> WriteAsync(ReadOnlyMemory<byte> frame)
    {
        try
        {
            // No cancellation token: a frame cut in half would corrupt the stream.
            await _stream.WriteAsync(frame, CancellationToken.None).ConfigureAwait(false);
            Volatile.Write(ref _lastSendTicks, Environment.TickCount64);
            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Abort("write failed: " + e.Message);
            return false;
        }
    }

    private async Task ReceiveLoopAsync()
    {
        string reason = "the server closed the connection";
        byte[] prefix = new byte[LengthPrefix];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(prefix, _stop.Token).ConfigureAwait(false);
                int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
                if (length < ZooKeeperReply.HeaderLength || length > _maxFrameLength)
                {
                    reason = $"bad frame length {length} (accepted: {ZooKeeperReply.HeaderLength}..{_maxFrameLength})";
                    return;
                }

                byte[] frame = ArrayPool<byte>.Shared.Rent(length);
                try
                {
                    await _stream.ReadExactlyAsync(frame.AsMemory(0, length), _stop.Token).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(frame);
                    throw;
                }

                Volatile.Write(ref _lastReceiveTicks, Environment.TickCount64);
                string? error = Dispatch(frame, length);
                if (error is not null)
                {
                    reason = error;
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            reason = e is EndOfStreamException ? "the server closed the connection" : e.Message;
        }
        finally
        {
            Abort(reason);
        }
    }

    /// <summary>Handles one frame; takes ownership of its buffer. Returns why the stream is broken, or null.</summary>
    private string? Dispatch(byte[] frame, int length)
    {
        var reader = new JuteReader(frame.AsSpan(0, length));
        int xid = reader.ReadInt32();
        long zxid = reader.ReadInt64();
        var error = (CoordinationError)reader.ReadInt32();
        switch (xid)
        {
            case ZooKeeperXid.Notification:
                int type = reader.ReadInt32();
                _ = reader.ReadInt32();
                string? path = reader.ReadString();
                ArrayPool<byte>.Shared.Return(frame);
                if (reader.Failed || path is null)
                {
                    return "malformed watch notification";
                }

                // Types 1-4 are node events; -1 (None) carries only a state, and 5-7 (watch removed) answer requests we never send.
                if (type is >= (int)WatchEventType.NodeCreated and <= (int)WatchEventType.NodeChildrenChanged)
                {
                    _onNotification((WatchEventType)type, path);
                }

                return null;
            case ZooKeeperXid.Ping:
                ArrayPool<byte>.Shared.Return(frame);
                return null;
            case ZooKeeperXid.SetWatches:
                ArrayPool<byte>.Shared.Return(frame);
                return error == CoordinationError.Ok ? null : "SetWatches failed with " + error;
        }

        PendingRequest? request;
        lock (_inFlight)
        {
            _inFlight.TryDequeue(out request);
        }

        if (request is null || request.Xid != xid)
        {
            ArrayPool<byte>.Shared.Return(frame);
            request?.Complete(ZooKeeperReply.Local(CoordinationError.ConnectionLoss));
            return $"reply xid {xid} does not match the oldest outstanding request ({request?.Xid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"})";
        }

        if (zxid > 0)
        {
            _onZxid(zxid);
        }

        if (request.Watcher is not null)
        {
            _watches.AfterReply(request.OpCode, error, request.WatchPath!, request.Watcher);
        }

        request.Complete(new ZooKeeperReply(error, zxid, frame, length));
        return null;
    }

    private async Task PingLoopAsync()
    {
        int tickMs = Math.Max(10, NegotiatedTimeoutMs / 12);

        // Due half a tick early: ticks never land exactly a third of the timeout after the last
        // send, and a ping that waited for the fifth tick would leave the server a quarter of the
        // timeout to answer instead of a third.
        int pingDueMs = (NegotiatedTimeoutMs / 3) - (tickMs / 2);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(tickMs));
        var silence = new ServerSilenceWatch(NegotiatedTimeoutMs, _openedTicks);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                long lastReceive = Volatile.Read(ref _lastReceiveTicks);
                if (silence.ShouldDrop(now, lastReceive))
                {
                    Abort($"no answer from the server for {now - lastReceive} ms");
                    return;
                }

                // Never waits for the write lock or a write: a request stuck on a server that
                // stopped reading must not stop the silence checks (the abort frees it). While a
                // request is being written there is traffic anyway, so this tick sends no ping.
                if (now - Volatile.Read(ref _lastSendTicks) >= pingDueMs && _writeLock.Wait(0))
                {
                    _ = SendPingAsync();
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // The connection ended; pings end with it.
        }
    }

    /// <summary>Writes a ping under the write lock the caller took, and releases it.</summary>
    private async Task SendPingAsync()
    {
        try
        {
            await WriteAsync(_pingFrame).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
