using Microsoft.Extensions.Logging;
using Samsa.Coordination;

namespace Samsa.Broker.Controller;

/// <summary>
/// A broker's coordination session that outlives session expiry, as Kafka's ZooKeeper client
/// wrapper does: every call goes to the current session; when it expires, subscribers hear
/// Expired (the controller resigns), a new session is opened (retried until it works or the
/// broker stops), and subscribers then hear Connected, their cue to register again and re-arm
/// their watches (those of the old session are gone with it). Until then calls fail with
/// SessionExpired, as on the expired session itself.
/// </summary>
internal sealed partial class RenewableSession : ICoordinationStore
{
    /// <summary>Pause between attempts to open a new session after an expiry.</summary>
    internal static readonly TimeSpan RenewBackoff = TimeSpan.FromSeconds(1);

    private readonly Func<CancellationToken, Task<ICoordinationStore>> _open;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _disposed = new();
    private readonly Lock _lock = new();
    private ICoordinationStore _current;
    private EventHandler<SessionState> _forward;
    private Task _renewing = Task.CompletedTask;

    // The current session was the expired one and is closed already (renewal not finished).
    private bool _currentClosed;

    /// <param name="first">The session to start with (already open).</param>
    /// <param name="open">Opens a new session after an expiry.</param>
    public RenewableSession(ICoordinationStore first, Func<CancellationToken, Task<ICoordinationStore>> open, TimeProvider time, ILogger logger)
    {
        _open = open;
        _time = time;
        _logger = logger;
        _current = first;
        _forward = Subscribe(first);
    }

    public event EventHandler<SessionState>? SessionStateChanged;

    public long SessionId => Volatile.Read(ref _current).SessionId;

    public SessionState State => Volatile.Read(ref _current).State;

    private EventHandler<SessionState> Subscribe(ICoordinationStore session)
    {
        EventHandler<SessionState> forward = (_, state) => OnSessionStateChanged(session, state);
        session.SessionStateChanged += forward;
        return forward;
    }

    /// <summary>
    /// Raised on the session's delivery loop: the renewal runs elsewhere, so that loop is never
    /// blocked by it. Subscribers hear Expired before the renewal starts: started first, on a busy
    /// machine the new session's Connected reached them before the Expired, and a broker that
    /// re-registers on "Connected after Expired" never registered again.
    /// </summary>
    private void OnSessionStateChanged(ICoordinationStore session, SessionState state)
    {
        lock (_lock)
        {
            if (!ReferenceEquals(session, _current) || _disposed.IsCancellationRequested)
            {
                return;
            }
        }

        try
        {
            SessionStateChanged?.Invoke(this, state);
        }
        finally
        {
            // Even if a subscriber threw: without the renewal the broker would stay sessionless.
            if (state == SessionState.Expired)
            {
                lock (_lock)
                {
                    if (ReferenceEquals(session, _current) && !_disposed.IsCancellationRequested)
                    {
                        _renewing = Task.Run(() => RenewAsync(session), CancellationToken.None);
                    }
                }
            }
        }
    }

    private async Task RenewAsync(ICoordinationStore expired)
    {
        CancellationToken stopping = _disposed.Token;
        expired.SessionStateChanged -= _forward;
        await expired.DisposeAsync().ConfigureAwait(false);
        lock (_lock)
        {
            _currentClosed = true;
        }

        // With every server refusing connections an attempt fails at once: one line per 30 s, not per second.
        var failures = new RetriedFailureLog(_time, RetriedFailureLog.DefaultInterval);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                ICoordinationStore next = await _open(stopping).ConfigureAwait(false);
                bool stopped;
                lock (_lock)
                {
                    stopped = stopping.IsCancellationRequested;
                    if (!stopped)
                    {
                        Volatile.Write(ref _current, next);
                        _forward = Subscribe(next);
                        _currentClosed = false;
                    }
                }

                if (stopped)
                {
                    await next.DisposeAsync().ConfigureAwait(false);
                    return;
                }

                LogRenewed(_logger, next.SessionId);
                SessionStateChanged?.Invoke(this, SessionState.Connected);
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is CoordinationException or IOException)
            {
                if (failures.Failed(out int attempts))
                {
                    if (attempts == 1)
                    {
                        LogRenewFailed(_logger, e.Message);
                    }
                    else
                    {
                        LogRenewStillFailing(_logger, attempts, e.Message);
                    }
                }
            }

            try
            {
                await Task.Delay(RenewBackoff, _time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public ValueTask<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _current).CreateAsync(path, data, mode, cancellationToken);

    public ValueTask DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _current).DeleteAsync(path, expectedVersion, cancellationToken);

    public ValueTask<NodeStat?> ExistsAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _current).ExistsAsync(path, watcher, cancellationToken);

    public ValueTask<NodeData?> GetDataAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _current).GetDataAsync(path, watcher, cancellationToken);

    public ValueTask<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _current).SetDataAsync(path, data, expectedVersion, cancellationToken);

    public ValueTask<IReadOnlyList<string>?> GetChildrenAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _current).GetChildrenAsync(path, watcher, cancellationToken);

    public ValueTask<IReadOnlyList<CoordinationOpResult>> MultiAsync(IReadOnlyList<CoordinationOp> operations, CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _current).MultiAsync(operations, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Task renewing;
        lock (_lock)
        {
            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            _disposed.Cancel();
            renewing = _renewing;
        }

        await renewing.ConfigureAwait(false);
        ICoordinationStore current = Volatile.Read(ref _current);
        current.SessionStateChanged -= _forward;
        if (!_currentClosed)
        {
            await current.DisposeAsync().ConfigureAwait(false);
        }

        _disposed.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Coordination session expired and was renewed: new session 0x{SessionId:x}.")]
    private static partial void LogRenewed(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not open a new coordination session yet, retrying: {Reason}")]
    private static partial void LogRenewFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Still could not open a new coordination session after {Attempts} attempts, retrying: {Reason}")]
    private static partial void LogRenewStillFailing(ILogger logger, int attempts, string reason);
}
