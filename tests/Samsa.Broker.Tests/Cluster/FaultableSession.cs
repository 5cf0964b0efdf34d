using Samsa.Coordination;

namespace Samsa.Broker.Tests.Cluster;

/// <summary>
/// A broker's coordination session that can be told to lose its writes: while
/// <see cref="FailWrites"/> is set, Create, Delete, SetData and Multi fail with ConnectionLoss, as a
/// ZooKeeper client does when its connection drops mid-request. Reads go to the real session unless
/// <see cref="FailReadsOf"/> says otherwise.
/// <see cref="AfterMulti"/> runs right after a Multi is written, for a test that needs something to
/// happen exactly between a write and what follows it.
/// </summary>
internal sealed class FaultableSession(ICoordinationStore inner) : ICoordinationStore
{
    private volatile bool _failWrites;
    private int _refusedWrites;
    private int _loseMultiAnswers;
    private int _loseWriteAnswers;
    private int _failReads;
    private string? _failReadsPath;

    public bool FailWrites
    {
        get => _failWrites;
        set => _failWrites = value;
    }

    /// <summary>Called once a Multi has been written, before its caller goes on.</summary>
    public Action? AfterMulti { get; set; }

    /// <summary>Called with the path once a node has been deleted, before its caller goes on.</summary>
    public Action<string>? AfterDelete { get; set; }

    /// <summary>
    /// How many of the next Multis are applied but answered with ConnectionLoss, as when the
    /// connection drops after the server committed the transaction (a ZooKeeper leader election).
    /// </summary>
    public int LoseMultiAnswers
    {
        get => Volatile.Read(ref _loseMultiAnswers);
        set => Volatile.Write(ref _loseMultiAnswers, value);
    }

    /// <summary>As <see cref="LoseMultiAnswers"/>, for the next single-node writes (Create, Delete, SetData).</summary>
    public int LoseWriteAnswers
    {
        get => Volatile.Read(ref _loseWriteAnswers);
        set => Volatile.Write(ref _loseWriteAnswers, value);
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> reads (Exists, GetData, GetChildren) of <paramref name="path"/>
    /// fail with ConnectionLoss. Only that path's: the broker's own watchers read others meanwhile.
    /// </summary>
    public void FailReadsOf(string path, int count)
    {
        Volatile.Write(ref _failReadsPath, path);
        Volatile.Write(ref _failReads, count);
    }

    /// <summary>How many writes were refused so far: a test waits on it instead of sleeping.</summary>
    public int RefusedWrites => Volatile.Read(ref _refusedWrites);

    public long SessionId => inner.SessionId;

    public SessionState State => inner.State;

    public event EventHandler<SessionState>? SessionStateChanged
    {
        add => inner.SessionStateChanged += value;
        remove => inner.SessionStateChanged -= value;
    }

    public ValueTask<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, CancellationToken cancellationToken = default) =>
        _failWrites ? throw Lost(path) : AnswerAsync(inner.CreateAsync(path, data, mode, cancellationToken), path);

    public async ValueTask DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default)
    {
        if (_failWrites)
        {
            throw Lost(path);
        }

        await inner.DeleteAsync(path, expectedVersion, cancellationToken).ConfigureAwait(false);
        AfterDelete?.Invoke(path);
        LoseAnswer(path);
    }

    public ValueTask<NodeStat?> ExistsAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        ReadFails(path) ? throw Lost(path) : inner.ExistsAsync(path, watcher, cancellationToken);

    public ValueTask<NodeData?> GetDataAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        ReadFails(path) ? throw Lost(path) : inner.GetDataAsync(path, watcher, cancellationToken);

    public ValueTask<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default) =>
        _failWrites ? throw Lost(path) : AnswerAsync(inner.SetDataAsync(path, data, expectedVersion, cancellationToken), path);

    public ValueTask<IReadOnlyList<string>?> GetChildrenAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default) =>
        ReadFails(path) ? throw Lost(path) : inner.GetChildrenAsync(path, watcher, cancellationToken);

    public async ValueTask<IReadOnlyList<CoordinationOpResult>> MultiAsync(IReadOnlyList<CoordinationOp> operations, CancellationToken cancellationToken = default)
    {
        if (_failWrites)
        {
            throw Lost(null);
        }

        IReadOnlyList<CoordinationOpResult> results = await inner.MultiAsync(operations, cancellationToken).ConfigureAwait(false);
        AfterMulti?.Invoke();
        // The controller writes from its single loop: no two Multis race for the count.
        if (LoseMultiAnswers > 0)
        {
            LoseMultiAnswers--;
            throw new CoordinationException(CoordinationError.ConnectionLoss, "injected loss of the answer to an applied transaction", null);
        }

        return results;
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private async ValueTask<T> AnswerAsync<T>(ValueTask<T> write, string path)
    {
        T result = await write.ConfigureAwait(false);
        LoseAnswer(path);
        return result;
    }

    /// <summary>After a single-node write was applied: its answer is lost while <see cref="LoseWriteAnswers"/> counts.</summary>
    private void LoseAnswer(string path)
    {
        // Each test drives one writer at a time: no two writes race for the count.
        if (LoseWriteAnswers > 0)
        {
            LoseWriteAnswers--;
            throw new CoordinationException(CoordinationError.ConnectionLoss, "injected loss of the answer to an applied write", path);
        }
    }

    private bool ReadFails(string path)
    {
        if (!string.Equals(Volatile.Read(ref _failReadsPath), path, StringComparison.Ordinal))
        {
            return false;
        }

        for (int left = Volatile.Read(ref _failReads); left > 0; left = Volatile.Read(ref _failReads))
        {
            if (Interlocked.CompareExchange(ref _failReads, left - 1, left) == left)
            {
                return true;
            }
        }

        return false;
    }

    private CoordinationException Lost(string? path)
    {
        Interlocked.Increment(ref _refusedWrites);
        return new CoordinationException(CoordinationError.ConnectionLoss, "injected connection loss", path);
    }
}
