namespace Samsa.Coordination;

/// <summary>
/// The coordination service the controller and the broker's registration are written against,
/// modelled on ZooKeeper's data model: a tree of nodes named by absolute paths, each with data,
/// a stat and versions for compare-and-set; ephemeral nodes bound to this session; one-shot
/// watches; all-or-nothing multi. One instance is one session: <see cref="SessionId"/> owns the
/// ephemerals it creates, and disposing it ends the session (deleting them).
/// <para>
/// Implementations: the embedded store (standalone mode, in-process, durable in the log dir) and
/// our ZooKeeper client (ZooKeeper mode). Paths follow ZooKeeper's rules: absolute, no trailing
/// slash except the root "/", no empty, "." or ".." segments; otherwise BadArguments.
/// </para>
/// <para>
/// Failures are <see cref="CoordinationException"/>s carrying ZooKeeper's error code, including the
/// expected ones (NoNode, NodeExists, BadVersion, NotEmpty): callers catch the codes they expect.
/// Reads of a missing node return null rather than throwing. Methods are safe to call concurrently.
/// </para>
/// </summary>
public interface ICoordinationStore : IAsyncDisposable
{
    /// <summary>This session's id: the <see cref="NodeStat.EphemeralOwner"/> of its ephemerals.</summary>
    long SessionId { get; }

    /// <summary>The session's current state.</summary>
    SessionState State { get; }

    /// <summary>
    /// Raised on the watch-delivery loop, in order with watch events, when the session's state
    /// changes. Connected is the initial state and raises nothing. The embedded store raises only
    /// Expired (after which every request fails with SessionExpired); a ZooKeeper client also raises
    /// Disconnected and Connected around a reconnect. Ending a session by disposing it raises nothing.
    /// </summary>
    event EventHandler<SessionState>? SessionStateChanged;

    /// <summary>
    /// Creates <paramref name="path"/> and returns the created path: for a sequential mode the path
    /// plus a 10-digit zero-padded counter taken from the parent's cversion (e.g. "/a/n-0000000003").
    /// </summary>
    /// <exception cref="CoordinationException">NodeExists, NoNode (no parent), NoChildrenForEphemerals, BadArguments.</exception>
    ValueTask<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, CancellationToken cancellationToken = default);

    /// <summary>Deletes a node if its version is <paramref name="expectedVersion"/> (-1: any).</summary>
    /// <exception cref="CoordinationException">NoNode, BadVersion, NotEmpty, BadArguments.</exception>
    ValueTask DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default);

    /// <summary>
    /// The node's stat, or null if it does not exist. A <paramref name="watcher"/> is set either way:
    /// NodeCreated if missing, NodeDataChanged or NodeDeleted if present.
    /// </summary>
    ValueTask<NodeStat?> ExistsAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// The node's data and stat, or null if it does not exist (then no watch is set, as in
    /// ZooKeeper: use <see cref="ExistsAsync"/> to wait for a creation). The watcher fires on
    /// NodeDataChanged or NodeDeleted.
    /// </summary>
    ValueTask<NodeData?> GetDataAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default);

    /// <summary>Replaces the data if the version is <paramref name="expectedVersion"/> (-1: any) and returns the new stat.</summary>
    /// <exception cref="CoordinationException">NoNode, BadVersion, BadArguments.</exception>
    ValueTask<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default);

    /// <summary>
    /// The node's child names (not paths), sorted ordinally, or null if it does not exist (then no
    /// watch is set). The watcher fires on NodeChildrenChanged or NodeDeleted.
    /// </summary>
    ValueTask<IReadOnlyList<string>?> GetChildrenAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies <paramref name="operations"/> atomically: all of them or none. On failure throws the
    /// failing operation's code with <see cref="CoordinationException.FailedOperationIndex"/> set.
    /// </summary>
    ValueTask<IReadOnlyList<CoordinationOpResult>> MultiAsync(IReadOnlyList<CoordinationOp> operations, CancellationToken cancellationToken = default);
}
