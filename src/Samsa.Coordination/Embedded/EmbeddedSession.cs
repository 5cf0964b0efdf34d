namespace Samsa.Coordination.Embedded;

/// <summary>
/// One session of an <see cref="EmbeddedCoordinationStore"/>: the <see cref="ICoordinationStore"/>
/// a broker in this process uses. It owns the ephemerals it creates and the watches it sets;
/// disposing it (or <see cref="EmbeddedCoordinationStore.ExpireSession"/>) ends the session,
/// deleting its ephemerals in one transaction. All state lives in the store and is guarded by its
/// lock; this type only carries the session id and state. Operations complete synchronously (the
/// log sync included) and report failures through the returned task.
/// </summary>
internal sealed class EmbeddedSession : ICoordinationStore
{
    private readonly EmbeddedCoordinationStore _store;
    private volatile SessionState _state = SessionState.Connected;

    public EmbeddedSession(EmbeddedCoordinationStore store, long sessionId)
    {
        _store = store;
        SessionId = sessionId;
    }

    public event EventHandler<SessionState>? SessionStateChanged;

    public long SessionId { get; }

    public SessionState State => _state;

    public ValueTask<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(_store.Create(this, path, data, mode));
        }
        catch (Exception e) when (IsOperationFailure(e))
        {
            return ValueTask.FromException<string>(e);
        }
    }

    public ValueTask DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            _store.Delete(this, path, expectedVersion);
            return ValueTask.CompletedTask;
        }
        catch (Exception e) when (IsOperationFailure(e))
        {
            return ValueTask.FromException(e);
        }
    }

    public ValueTask<NodeStat?> ExistsAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(_store.Exists(this, path, watcher));
        }
        catch (Exception e) when (IsOperationFailure(e))
        {
            return ValueTask.FromException<NodeStat?>(e);
        }
    }

    public ValueTask<NodeData?> GetDataAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(_store.GetData(this, path, watcher));
        }
        catch (Exception e) when (IsOperationFailure(e))
        {
            return ValueTask.FromException<NodeData?>(e);
        }
    }

    public ValueTask<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(_store.SetData(this, path, data, expectedVersion));
        }
        catch (Exception e) when (IsOperationFailure(e))
        {
            return ValueTask.FromException<NodeStat>(e);
        }
    }

    public ValueTask<IReadOnlyList<string>?> GetChildrenAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(_store.GetChildren(this, path, watcher));
        }
        catch (Exception e) when (IsOperationFailure(e))
        {
            return ValueTask.FromException<IReadOnlyList<string>?>(e);
        }
    }

    public ValueTask<IReadOnlyList<CoordinationOpResult>> MultiAsync(IReadOnlyList<CoordinationOp> operations, CancellationToken cancellationToken = default)
    {
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            return ValueTask.FromResult(_store.Multi(this, operations));
        }
        catch (Exception e) when (IsOperationFailure(e))
        {
            return ValueTask.FromException<IReadOnlyList<CoordinationOpResult>>(e);
        }
    }

    /// <summary>Ends the session: its ephemerals are deleted and its watches dropped.</summary>
    public ValueTask DisposeAsync()
    {
        _store.CloseSession(this, expired: false);
        return ValueTask.CompletedTask;
    }

    /// <summary>Called by the store, under its lock, when the session ends.</summary>
    internal void MarkEnded() => _state = SessionState.Expired;

    /// <summary>Called on the delivery loop.</summary>
    internal void RaiseStateChanged(SessionState state) => SessionStateChanged?.Invoke(this, state);

    // Expected failures travel in the task; anything else is a bug and is thrown at the call.
    private static bool IsOperationFailure(Exception e) =>
        e is CoordinationException or OperationCanceledException or ArgumentException;
}
