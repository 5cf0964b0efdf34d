namespace Samsa.Coordination.Embedded;

/// <summary>
/// The coordination store of standalone mode: a ZooKeeper-like tree held in this process and made
/// durable in one directory (the first log dir), with the same semantics the controller gets from
/// ZooKeeper: zxids, versions, sequential names, ephemerals owned by sessions, one-shot watches and
/// all-or-nothing multi.
/// <para>
/// The store is itself a session (<see cref="SessionId"/>); <see cref="OpenSession"/> opens more, so
/// several brokers in one process can share one store, each with its own ephemerals and watches.
/// </para>
/// <para>
/// Durability: every write is a transaction appended to <c>coordination.log</c> and fsynced before
/// the tree changes and before the call returns; every <c>transactionsPerSnapshot</c> transactions
/// the tree is written to <c>coordination.snapshot</c> (atomically) and the log is emptied. Opening
/// loads the snapshot, replays the log (truncating a torn tail) and then ends every session of the
/// previous run in one logged transaction, so ephemerals never outlive a restart, exactly like a
/// ZooKeeper session that ended. Ephemerals are logged while they live so that zxids, cversions
/// and hence sequential names stay monotonic across restarts. Formats: <see cref="TransactionLog"/>,
/// <see cref="SnapshotFile"/>, docs/coordination.md.
/// </para>
/// <para>
/// Threading: one lock guards the tree, the log, the watches and the sessions; writes are serialized
/// under it (one writer, including the fsync). Watch events and session state changes are delivered
/// by a single loop outside the lock, in commit order. If a log write fails the store stops accepting
/// writes (reads go on): after a failed fsync the file's contents can no longer be trusted.
/// </para>
/// </summary>
public sealed class EmbeddedCoordinationStore : ICoordinationStore
{
    /// <summary>How many transactions the log holds before a snapshot replaces them.</summary>
    public const int DefaultTransactionsPerSnapshot = 1000;

    private readonly Lock _lock = new();
    private readonly string _directory;
    private readonly TimeProvider _time;
    private readonly DataTree _tree;
    private readonly TransactionLog _log;
    private readonly int _transactionsPerSnapshot;
    private readonly WatchRegistry _watches = new();
    private readonly WatchDispatcher _dispatcher = new();
    private readonly Dictionary<long, EmbeddedSession> _sessions = [];
    private readonly EmbeddedSession _ownSession;
    private long _nextSessionId;
    private int _transactionsSinceSnapshot;
    private Exception? _logFailure;
    private bool _disposed;

    private EmbeddedCoordinationStore(string directory, TimeProvider time, DataTree tree, TransactionLog log, int transactionsPerSnapshot, int replayed)
    {
        _directory = directory;
        _time = time;
        _tree = tree;
        _log = log;
        _transactionsPerSnapshot = transactionsPerSnapshot;
        _transactionsSinceSnapshot = replayed;

        // Session ids from the clock, as ZooKeeper seeds them, and past any owner still in the tree,
        // so a new session never inherits an old session's ephemerals.
        long seed = (time.GetUtcNow().ToUnixTimeMilliseconds() << 16) + 1;
        foreach (long owner in tree.EphemeralOwners())
        {
            seed = Math.Max(seed, owner + 1);
        }

        _nextSessionId = seed;
        _ownSession = new EmbeddedSession(this, _nextSessionId++);
        _sessions.Add(_ownSession.SessionId, _ownSession);
    }

    public event EventHandler<SessionState>? SessionStateChanged
    {
        add => _ownSession.SessionStateChanged += value;
        remove => _ownSession.SessionStateChanged -= value;
    }

    public long SessionId => _ownSession.SessionId;

    public SessionState State => _ownSession.State;

    /// <summary>The zxid of the last committed transaction.</summary>
    public long LastZxid
    {
        get
        {
            lock (_lock)
            {
                return _tree.LastZxid;
            }
        }
    }

    /// <summary>Bytes of a torn log tail that <see cref="Open"/> truncated away (0 after a clean shutdown).</summary>
    public long TruncatedBytesOnOpen { get; private init; }

    /// <summary>
    /// Opens the store kept in <paramref name="directory"/> (created if missing) and holds it
    /// exclusively until disposed. Sessions of the previous run are ended: their ephemerals are gone.
    /// </summary>
    /// <exception cref="CoordinationException">SystemError: the files are corrupt, locked or unreadable; the message says which and where.</exception>
    public static EmbeddedCoordinationStore Open(string directory, TimeProvider time, int transactionsPerSnapshot = DefaultTransactionsPerSnapshot)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(transactionsPerSnapshot, 1);
        directory = Path.GetFullPath(directory);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CoordinationException(CoordinationError.SystemError, $"Cannot create coordination directory {directory}: {e.Message}", e);
        }

        // The log first: it is also the lock on the directory, taken before the snapshot is read.
        TransactionLog log = TransactionLog.Open(directory, out List<Transaction> transactions, out long truncated);
        try
        {
            DataTree tree = SnapshotFile.Read(directory);
            int replayed = 0;
            foreach (Transaction transaction in transactions)
            {
                // A crash between writing a snapshot and emptying the log leaves records the
                // snapshot already holds.
                if (transaction.Zxid <= tree.LastZxid)
                {
                    continue;
                }

                try
                {
                    tree.Apply(transaction, triggers: null);
                }
                catch (InvalidDataException e)
                {
                    throw new CoordinationException(CoordinationError.SystemError, $"Coordination log {log.FilePath} does not fit its snapshot: {e.Message}", log.FilePath, innerException: e);
                }

                replayed++;
            }

            replayed += EndPreviousSessions(tree, log, time);
            return new EmbeddedCoordinationStore(directory, time, tree, log, transactionsPerSnapshot, replayed) { TruncatedBytesOnOpen = truncated };
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens another session on this store, with its own ephemerals and watches: one per broker when
    /// several brokers share a process. Disposing the session ends it.
    /// </summary>
    public ICoordinationStore OpenSession()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            EmbeddedSession session = new(this, _nextSessionId++);
            _sessions.Add(session.SessionId, session);
            return session;
        }
    }

    /// <summary>
    /// Ends session <paramref name="sessionId"/> as if it had timed out (a broker that died): its
    /// ephemerals are deleted, watches fire, and it sees <see cref="SessionState.Expired"/>.
    /// Returns false if no such session is open.
    /// </summary>
    public bool ExpireSession(long sessionId)
    {
        EmbeddedSession? session;
        lock (_lock)
        {
            if (!_sessions.TryGetValue(sessionId, out session))
            {
                return false;
            }
        }

        CloseSession(session, expired: true);
        return true;
    }

    public ValueTask<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, CancellationToken cancellationToken = default) =>
        _ownSession.CreateAsync(path, data, mode, cancellationToken);

    public ValueTask DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
        _ownSession.DeleteAsync(path, expectedVersion, cancellationToken);

    public ValueTask<NodeStat?> ExistsAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        _ownSession.ExistsAsync(path, watcher, cancellationToken);

    public ValueTask<NodeData?> GetDataAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        _ownSession.GetDataAsync(path, watcher, cancellationToken);

    public ValueTask<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
        _ownSession.SetDataAsync(path, data, expectedVersion, cancellationToken);

    public ValueTask<IReadOnlyList<string>?> GetChildrenAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        _ownSession.GetChildrenAsync(path, watcher, cancellationToken);

    public ValueTask<IReadOnlyList<CoordinationOpResult>> MultiAsync(IReadOnlyList<CoordinationOp> operations, CancellationToken cancellationToken = default) =>
        _ownSession.MultiAsync(operations, cancellationToken);

    /// <summary>
    /// Ends every session (deleting their ephemerals), delivers the events already queued, and
    /// releases the directory. Rethrows the first exception a watcher threw, if any.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            foreach (EmbeddedSession session in _sessions.Values.ToArray())
            {
                try
                {
                    EndSessionLocked(session, expired: false);
                }
                catch (CoordinationException) when (_logFailure is not null)
                {
                    // The log is broken; the next open ends these sessions instead.
                }
            }

            _disposed = true;
        }

        try
        {
            await _dispatcher.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _log.Dispose();
            }
        }
    }

    /// <summary>
    /// Releases the directory without ending any session, leaving the files as a crash would (tests).
    /// </summary>
    internal async ValueTask AbandonAsync()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _log.Dispose();
        }

        await _dispatcher.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Writes a snapshot now and empties the log (tests; normally every <c>transactionsPerSnapshot</c> commits).</summary>
    internal void TakeSnapshot()
    {
        lock (_lock)
        {
            ThrowIfUnwritable();
            TakeSnapshotLocked();
        }
    }

    internal string Create(EmbeddedSession session, string path, ReadOnlyMemory<byte> data, CreateMode mode)
    {
        lock (_lock)
        {
            ThrowIfEnded(session);
            TransactionPlanner planner = new(_tree, session.SessionId);
            planner.Add(new CreateOp(path, data, mode));
            CommitLocked(planner.Ops);
            return planner.Ops[0].Path;
        }
    }

    internal void Delete(EmbeddedSession session, string path, int expectedVersion)
    {
        lock (_lock)
        {
            ThrowIfEnded(session);
            TransactionPlanner planner = new(_tree, session.SessionId);
            planner.Add(new DeleteOp(path, expectedVersion));
            CommitLocked(planner.Ops);
        }
    }

    internal NodeStat SetData(EmbeddedSession session, string path, ReadOnlyMemory<byte> data, int expectedVersion)
    {
        lock (_lock)
        {
            ThrowIfEnded(session);
            TransactionPlanner planner = new(_tree, session.SessionId);
            planner.Add(new SetDataOp(path, data, expectedVersion));
            return CommitLocked(planner.Ops)[0]!.Value;
        }
    }

    internal IReadOnlyList<CoordinationOpResult> Multi(EmbeddedSession session, IReadOnlyList<CoordinationOp> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        lock (_lock)
        {
            ThrowIfEnded(session);
            TransactionPlanner planner = new(_tree, session.SessionId);
            for (int i = 0; i < operations.Count; i++)
            {
                try
                {
                    planner.Add(operations[i]);
                }
                catch (CoordinationException e)
                {
                    throw new CoordinationException(e.Error, $"operation {i} of the multi failed, none was applied: {e.Message}", e.Path, i, e);
                }
            }

            NodeStat?[] stats = planner.Ops.Count > 0 ? CommitLocked(planner.Ops) : [];
            CoordinationOpResult[] results = new CoordinationOpResult[operations.Count];
            for (int i = 0; i < results.Length; i++)
            {
                int opIndex = planner.OpIndexes[i];
                string? created = opIndex >= 0 && planner.Ops[opIndex].Kind == TreeOpKind.Create ? planner.Ops[opIndex].Path : null;
                results[i] = new CoordinationOpResult(operations[i], created, opIndex >= 0 ? stats[opIndex] : null);
            }

            return results;
        }
    }

    internal NodeStat? Exists(EmbeddedSession session, string path, IWatcher? watcher)
    {
        CoordinationPath.Validate(path);
        lock (_lock)
        {
            ThrowIfEnded(session);
            if (watcher is not null)
            {
                _watches.AddDataWatch(path, watcher, session);
            }

            return _tree.Get(path)?.Stat;
        }
    }

    internal NodeData? GetData(EmbeddedSession session, string path, IWatcher? watcher)
    {
        CoordinationPath.Validate(path);
        lock (_lock)
        {
            ThrowIfEnded(session);
            DataNode? node = _tree.Get(path);
            if (node is null)
            {
                return null;
            }

            if (watcher is not null)
            {
                _watches.AddDataWatch(path, watcher, session);
            }

            return new NodeData(node.Data, node.Stat);
        }
    }

    internal IReadOnlyList<string>? GetChildren(EmbeddedSession session, string path, IWatcher? watcher)
    {
        CoordinationPath.Validate(path);
        lock (_lock)
        {
            ThrowIfEnded(session);
            DataNode? node = _tree.Get(path);
            if (node is null)
            {
                return null;
            }

            if (watcher is not null)
            {
                _watches.AddChildWatch(path, watcher, session);
            }

            return [.. node.Children];
        }
    }

    internal void CloseSession(EmbeddedSession session, bool expired)
    {
        lock (_lock)
        {
            EndSessionLocked(session, expired);
        }
    }

    private void EndSessionLocked(EmbeddedSession session, bool expired)
    {
        if (!_sessions.Remove(session.SessionId))
        {
            return;
        }

        session.MarkEnded();
        _watches.RemoveSession(session);
        if (expired)
        {
            _dispatcher.Post(WatchDelivery.StateChange(session, SessionState.Expired));
        }

        List<TreeOp> deletes = [];
        foreach (string path in _tree.EphemeralsOf(session.SessionId))
        {
            deletes.Add(TreeOp.Delete(path));
        }

        if (deletes.Count > 0)
        {
            CommitLocked(deletes);
        }
    }

    /// <summary>
    /// Deletes the ephemerals of the previous run's sessions, which cannot come back, in one logged
    /// transaction (before anyone can watch). Returns the number of transactions written.
    /// </summary>
    private static int EndPreviousSessions(DataTree tree, TransactionLog log, TimeProvider time)
    {
        List<TreeOp> deletes = [];
        foreach (long owner in tree.EphemeralOwners())
        {
            foreach (string path in tree.EphemeralsOf(owner))
            {
                deletes.Add(TreeOp.Delete(path));
            }
        }

        if (deletes.Count == 0)
        {
            return 0;
        }

        Transaction transaction = new(tree.LastZxid + 1, time.GetUtcNow().ToUnixTimeMilliseconds(), deletes);
        try
        {
            log.Append(transaction);
        }
        catch (IOException e)
        {
            throw new CoordinationException(CoordinationError.SystemError, $"Cannot write coordination log {log.FilePath}: {e.Message}", e);
        }

        tree.Apply(transaction, triggers: null);
        return 1;
    }

    /// <summary>Logs and applies one transaction, fires its watches; returns each op's resulting stat.</summary>
    private NodeStat?[] CommitLocked(List<TreeOp> ops)
    {
        ThrowIfUnwritable();
        Transaction transaction = new(_tree.LastZxid + 1, _time.GetUtcNow().ToUnixTimeMilliseconds(), ops);
        try
        {
            _log.Append(transaction);
        }
        catch (IOException e)
        {
            _logFailure = e;
            throw new CoordinationException(CoordinationError.SystemError, $"Cannot write coordination log {_log.FilePath}: {e.Message}", e);
        }

        List<WatchTrigger> triggers = [];
        NodeStat?[] stats = _tree.Apply(transaction, triggers);
        foreach (WatchTrigger trigger in triggers)
        {
            _watches.Fire(trigger, _dispatcher);
        }

        if (++_transactionsSinceSnapshot >= _transactionsPerSnapshot)
        {
            try
            {
                TakeSnapshotLocked();
            }
            catch (CoordinationException) when (_logFailure is null)
            {
                // The snapshot could not be written, but the transaction is safely in the log, which
                // keeps growing until a later attempt succeeds.
            }
        }

        return stats;
    }

    private void TakeSnapshotLocked()
    {
        try
        {
            SnapshotFile.Write(_directory, _tree);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CoordinationException(CoordinationError.SystemError, $"Cannot write coordination snapshot in {_directory}: {e.Message}", e);
        }

        try
        {
            _log.Reset();
        }
        catch (IOException e)
        {
            // Whether the truncation reached the disk is unknown; appending after it could put new
            // records in front of stale ones, so the store stops writing.
            _logFailure = e;
            throw new CoordinationException(CoordinationError.SystemError, $"Cannot truncate coordination log {_log.FilePath}: {e.Message}", e);
        }

        _transactionsSinceSnapshot = 0;
    }

    private void ThrowIfEnded(EmbeddedSession session)
    {
        if (_disposed || session.State == SessionState.Expired)
        {
            throw new CoordinationException(CoordinationError.SessionExpired, $"Session 0x{session.SessionId:x} has ended");
        }
    }

    private void ThrowIfUnwritable()
    {
        if (_logFailure is not null)
        {
            throw new CoordinationException(CoordinationError.SystemError, $"The coordination log {_log.FilePath} failed earlier; the store accepts no more writes", _logFailure);
        }
    }
}
