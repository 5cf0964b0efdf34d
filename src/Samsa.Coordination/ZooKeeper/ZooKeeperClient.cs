using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// A ZooKeeper client speaking the ZooKeeper wire protocol (jute records over TCP) to an Apache
/// ZooKeeper ensemble: one instance is one session, as <see cref="ICoordinationStore"/> requires.
/// <para>
/// Connection rules (as the Java client's ClientCnxn): servers are tried in the shuffled order of
/// the connect string, round robin. On a lost connection the client reconnects to the next server
/// with the session id, password and last zxid seen, so the session and its ephemerals survive; the
/// watches it holds are re-armed with SetWatches before any other request, so none is lost (a
/// change missed meanwhile fires at once). Requests outstanding when a connection drops fail with
/// ConnectionLoss, except reads, which are resent on the next connection. Requests issued while
/// disconnected wait for a connection until the session timeout has passed since the connection was
/// lost (the connection timeout before the first), then fail with ConnectionLoss. If the server
/// answers a reconnect with "expired", the state becomes Expired, SessionStateChanged(Expired) is
/// raised and every request fails with SessionExpired from then on: the owner opens a new client.
/// Disposing sends closeSession, so the ephemerals go at once instead of after the timeout.
/// </para>
/// </summary>
public sealed partial class ZooKeeperClient : ICoordinationStore
{
    /// <summary>ZooKeeper's default jute.maxbuffer (0xfffff): the largest data a node may hold.</summary>
    public const int MaxDataLength = 0xfffff;

    /// <summary>ConnectRequest.passwd of a new session: 16 zero bytes.</summary>
    private const int PasswordLength = 16;

    private readonly ZooKeeperClientOptions _options;
    private readonly ConnectString _connectString;
    private readonly ILogger _logger;
    private readonly ClientWatchRegistry _watches = new();
    private readonly ZooKeeperEventLoop _events;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Lock _stateLock = new();
    private readonly long _createdTicks = Environment.TickCount64;
    private TaskCompletionSource<ZooKeeperConnection?> _connectedSignal = NewSignal();
    private ZooKeeperConnection? _connection;
    private SessionState _state = SessionState.Disconnected;
    private bool _everConnected;
    private bool _closed;
    private long _sessionId;
    private byte[] _password = new byte[PasswordLength];
    private long _lastZxid;
    private int _negotiatedTimeoutMs;
    private long _disconnectedTicks;
    private Task _connectLoop = Task.CompletedTask;

    private ZooKeeperClient(ZooKeeperClientOptions options, ILogger logger)
    {
        _options = options;
        _logger = logger;
        _connectString = ConnectString.Parse(options.ConnectString);
        _events = new ZooKeeperEventLoop(RaiseStateChanged, logger);
    }

    public event EventHandler<SessionState>? SessionStateChanged;

    public long SessionId => Interlocked.Read(ref _sessionId);

    public SessionState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>The session timeout the ensemble granted.</summary>
    public TimeSpan NegotiatedSessionTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref _negotiatedTimeoutMs));

    /// <summary>"host:port" of the server the client is connected to, or null while disconnected.</summary>
    public string? ConnectedServer
    {
        get
        {
            lock (_stateLock)
            {
                return _connection is { IsOpen: true } c ? c.Endpoint.ToString() : null;
            }
        }
    }

    /// <summary>The chroot of the connect string, or null.</summary>
    public string? Chroot => _connectString.Chroot;

    /// <summary>
    /// Opens a session: connects to one of the servers (trying each in turn) and returns once the
    /// session is established.
    /// </summary>
    /// <exception cref="ArgumentException">The connect string is malformed.</exception>
    /// <exception cref="CoordinationException">ConnectionLoss: no server answered within the connection timeout.</exception>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SessionTimeout <= TimeSpan.Zero || options.SessionTimeout.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SessionTimeout, "The session timeout must be positive.");
        }

        var client = new ZooKeeperClient(options, logger ?? NullLogger.Instance);
        Task<ZooKeeperConnection?> first = client._connectedSignal.Task;
        client._connectLoop = Task.Run(client.RunConnectLoopAsync, CancellationToken.None);

        try
        {
            ZooKeeperConnection? connection = await first.WaitAsync(options.EffectiveConnectionTimeout, cancellationToken).ConfigureAwait(false);
            if (connection is null)
            {
                throw new CoordinationException(CoordinationError.SessionExpired, "The session expired while connecting");
            }

            return client;
        }
        catch (TimeoutException e)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new CoordinationException(
                CoordinationError.ConnectionLoss,
                $"Could not connect to ZooKeeper at {options.ConnectString} within {options.EffectiveConnectionTimeout.TotalMilliseconds:F0} ms",
                e);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes the session (its ephemerals go at once) and stops. Raises nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        ZooKeeperConnection? connection;
        lock (_stateLock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            connection = _connection;
        }

        if (connection is { IsOpen: true })
        {
            TimeSpan closeTimeout = TimeSpan.FromMilliseconds(Math.Min(_options.EffectiveConnectionTimeout.TotalMilliseconds, 5000));
            if (await connection.CloseSessionAsync(closeTimeout).ConfigureAwait(false))
            {
                ZooKeeperLog.Closed(_logger, SessionId);
            }
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        connection?.Dispose();
        await _connectLoop.ConfigureAwait(false);
        TaskCompletionSource<ZooKeeperConnection?> signal;
        lock (_stateLock)
        {
            _state = SessionState.Expired;
            _connection = null;
            signal = _connectedSignal;
        }

        signal.TrySetResult(null);
        _watches.Clear();
        await _events.DisposeAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    private static TaskCompletionSource<ZooKeeperConnection?> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void RaiseStateChanged(SessionState state) => SessionStateChanged?.Invoke(this, state);

    /// <summary>
    /// Keeps the session connected: connect (handshake), re-arm watches, publish, wait for the
    /// connection to end, repeat with the next server, until the session expires or the client is disposed.
    /// </summary>
    private async Task RunConnectLoopAsync()
    {
        CancellationToken stop = _shutdown.Token;
        IReadOnlyList<ZooKeeperEndpoint> servers = _connectString.Servers;
        int next = 0;
        int failuresInARow = 0;
        while (!stop.IsCancellationRequested)
        {
            ZooKeeperEndpoint endpoint = servers[next];
            next = (next + 1) % servers.Count;
            ZooKeeperConnection connection;
            try
            {
                connection = await ZooKeeperConnection.OpenAsync(
                    endpoint,
                    Interlocked.Read(ref _lastZxid),
                    (int)_options.SessionTimeout.TotalMilliseconds,
                    Interlocked.Read(ref _sessionId),
                    _password,
                    AttemptTimeout(servers.Count),
                    _options.MaxFrameLength,
                    _watches,
                    OnNotification,
                    OnZxid,
                    stop).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
            {
                ZooKeeperLog.ConnectFailed(_logger, endpoint, e.Message);
                failuresInARow++;
                if (failuresInARow % servers.Count == 0 && !await BackOffAsync(failuresInARow / servers.Count, stop).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            if (connection.NegotiatedTimeoutMs <= 0)
            {
                // The server's answer to a reconnect of a session it no longer has.
                connection.Dispose();
                Expire(endpoint);
                return;
            }

            failuresInARow = 0;
            connection.Start();
            if (!_watches.IsEmpty)
            {
                (List<string> data, List<string> exist, List<string> child) = _watches.Snapshot();
                await connection.SendSetWatchesAsync(Interlocked.Read(ref _lastZxid), data, exist, child).ConfigureAwait(false);
            }

            if (!Publish(connection))
            {
                connection.Dispose();
                return;
            }

            ZooKeeperLog.Connected(_logger, endpoint, connection.SessionId, connection.NegotiatedTimeoutMs);
            string reason = await connection.Closed.ConfigureAwait(false);
            connection.Dispose();
            if (!Unpublish(connection))
            {
                return;
            }

            ZooKeeperLog.Disconnected(_logger, endpoint, connection.SessionId, reason);
        }
    }

    /// <summary>Per-attempt timeout, as ClientCnxn: the session timeout shared among the servers, capped by the connection timeout.</summary>
    private TimeSpan AttemptTimeout(int serverCount)
    {
        int timeoutMs = Volatile.Read(ref _negotiatedTimeoutMs);
        double sessionMs = timeoutMs > 0 ? timeoutMs : _options.SessionTimeout.TotalMilliseconds;
        double attemptMs = Math.Min(sessionMs / serverCount, _options.EffectiveConnectionTimeout.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(Math.Max(attemptMs, 250));
    }

    /// <summary>After a whole round of servers failed: a short, growing, jittered pause (at most 1 s).</summary>
    private static async Task<bool> BackOffAsync(int rounds, CancellationToken stop)
    {
        int ceilingMs = Math.Min(1000, 50 << Math.Min(rounds, 5));
        try
        {
            await Task.Delay(Random.Shared.Next(ceilingMs / 2, ceilingMs + 1), stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private bool Publish(ZooKeeperConnection connection)
    {
        TaskCompletionSource<ZooKeeperConnection?> signal;
        bool wasDisconnected;
        lock (_stateLock)
        {
            if (_closed)
            {
                return false;
            }

            Interlocked.Exchange(ref _sessionId, connection.SessionId);
            _password = connection.Password;
            Volatile.Write(ref _negotiatedTimeoutMs, connection.NegotiatedTimeoutMs);
            wasDisconnected = _everConnected;
            _everConnected = true;
            _connection = connection;
            _state = SessionState.Connected;
            signal = _connectedSignal;
            _connectedSignal = NewSignal();
            if (wasDisconnected)
            {
                _events.PostStateChange(SessionState.Connected);
            }
        }

        signal.TrySetResult(connection);
        return true;
    }

    private bool Unpublish(ZooKeeperConnection connection)
    {
        lock (_stateLock)
        {
            if (_closed || _connection != connection)
            {
                return false;
            }

            _connection = null;
            _state = SessionState.Disconnected;
            _disconnectedTicks = Environment.TickCount64;
            _events.PostStateChange(SessionState.Disconnected);
            return true;
        }
    }

    private void Expire(ZooKeeperEndpoint endpoint)
    {
        TaskCompletionSource<ZooKeeperConnection?> signal;
        lock (_stateLock)
        {
            if (_state == SessionState.Expired)
            {
                return;
            }

            _state = SessionState.Expired;
            _connection = null;
            signal = _connectedSignal;
            if (!_closed)
            {
                _events.PostStateChange(SessionState.Expired);
            }
        }

        ZooKeeperLog.Expired(_logger, SessionId, endpoint);
        _watches.Clear();
        signal.TrySetResult(null);
    }

    private void OnNotification(WatchEventType type, string serverPath)
    {
        IWatcher[]? watchers = _watches.Take(type, serverPath);
        if (watchers is not null)
        {
            _events.Post(watchers, new WatchEvent(type, _connectString.ToClientPath(serverPath)));
        }
    }

    private void OnZxid(long zxid)
    {
        long seen = Interlocked.Read(ref _lastZxid);
        while (zxid > seen)
        {
            long previous = Interlocked.CompareExchange(ref _lastZxid, zxid, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>
    /// The live connection, waiting for one while disconnected: until the session timeout has passed
    /// since the connection was lost (or the connection timeout since the client started, before the
    /// first). Throws SessionExpired once the session is over, ConnectionLoss when the wait runs out.
    /// </summary>
    private async ValueTask<ZooKeeperConnection> AwaitConnectionAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<ZooKeeperConnection?> signal;
            long deadline;
            lock (_stateLock)
            {
                if (_state == SessionState.Expired || _closed)
                {
                    throw new CoordinationException(CoordinationError.SessionExpired, $"Session 0x{SessionId:x} has ended");
                }

                if (_connection is { IsOpen: true } live)
                {
                    return live;
                }

                // A published connection that is no longer open is being torn down right now; the
                // connect loop has not yet recorded when it was lost.
                long lostTicks = _connection is null ? _disconnectedTicks : Environment.TickCount64;
                signal = _connectedSignal.Task;
                deadline = _everConnected
                    ? lostTicks + Volatile.Read(ref _negotiatedTimeoutMs)
                    : _createdTicks + (long)_options.EffectiveConnectionTimeout.TotalMilliseconds;
            }

            long remaining = deadline - Environment.TickCount64;
            if (remaining <= 0 || !await WaitForSignalAsync(signal, remaining, cancellationToken).ConfigureAwait(false))
            {
                throw new CoordinationException(CoordinationError.ConnectionLoss, "Not connected to ZooKeeper, and no connection came back in time");
            }
        }
    }

    private static async Task<bool> WaitForSignalAsync(Task<ZooKeeperConnection?> signal, long timeoutMs, CancellationToken cancellationToken)
    {
        try
        {
            await signal.WaitAsync(TimeSpan.FromMilliseconds(timeoutMs), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends a request and returns the server's reply (the caller releases it). A request lost with
    /// its connection is resent on the next one when that is safe: it never reached the socket, or
    /// it is a read (<paramref name="idempotent"/>). Otherwise the result is ConnectionLoss: the
    /// server may or may not have applied it.
    /// </summary>
    private async ValueTask<ZooKeeperReply> ExecuteAsync(JuteWriter request, ZooKeeperOpCode opCode, bool idempotent, IWatcher? watcher, string? watchPath, CancellationToken cancellationToken)
    {
        request.FinishFrame();
        long resendDeadline = long.MaxValue;
        while (true)
        {
            ZooKeeperConnection connection = await AwaitConnectionAsync(cancellationToken).ConfigureAwait(false);
            var pending = new PendingRequest(opCode, request, watcher, watchPath);
            await connection.SendAsync(pending, cancellationToken).ConfigureAwait(false);
            ZooKeeperReply reply = await pending.Reply.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (reply.IsLocal && reply.Error == CoordinationError.ConnectionLoss)
            {
                // Resending is bounded by the session timeout from the first loss, so a server that
                // accepts the session but breaks every connection cannot keep a request forever.
                long now = Environment.TickCount64;
                resendDeadline = Math.Min(resendDeadline, now + Volatile.Read(ref _negotiatedTimeoutMs));
                if ((idempotent || !pending.WriteStarted) && now < resendDeadline)
                {
                    continue;
                }

                throw new CoordinationException(CoordinationError.ConnectionLoss, $"Connection to {connection.Endpoint} lost before the server answered; the request may or may not have been applied");
            }

            if (reply.Error == CoordinationError.SessionExpired)
            {
                reply.Release();
                Expire(connection.Endpoint);
                throw new CoordinationException(CoordinationError.SessionExpired, $"Session 0x{SessionId:x} has expired");
            }

            return reply;
        }
    }
}
