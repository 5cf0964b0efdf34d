namespace Samsa.Coordination.Embedded;

/// <summary>
/// The in-memory node tree of the embedded store, with the last applied zxid and an index of
/// ephemerals by owning session. Owned by <see cref="EmbeddedCoordinationStore"/>, read and changed
/// only under its lock. Changes arrive as committed <see cref="Transaction"/>s, already validated by
/// <see cref="TransactionPlanner"/>, both live and during log replay; a transaction that does not
/// fit the tree means the log is inconsistent and is reported as <see cref="InvalidDataException"/>.
/// </summary>
internal sealed class DataTree
{
    private readonly Dictionary<string, DataNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<long, SortedSet<string>> _ephemeralsByOwner = [];

    public DataTree()
    {
        _nodes[CoordinationPath.Root] = new DataNode([], czxid: 0, ctime: 0, ephemeralOwner: 0);
    }

    public long LastZxid { get; private set; }

    public int Count => _nodes.Count;

    public DataNode? Get(string path) => _nodes.GetValueOrDefault(path);

    /// <summary>Sessions that own at least one ephemeral, in id order.</summary>
    public List<long> EphemeralOwners()
    {
        List<long> owners = [.. _ephemeralsByOwner.Keys];
        owners.Sort();
        return owners;
    }

    /// <summary>The ephemerals of <paramref name="owner"/>, sorted; empty if none.</summary>
    public IReadOnlyCollection<string> EphemeralsOf(long owner) =>
        _ephemeralsByOwner.TryGetValue(owner, out SortedSet<string>? paths) ? paths : [];

    /// <summary>
    /// Applies <paramref name="transaction"/>. Returns, per op, the node's stat right after it (null
    /// for a delete), and appends the watch triggers in ZooKeeper's order to <paramref name="triggers"/>.
    /// </summary>
    public NodeStat?[] Apply(Transaction transaction, List<WatchTrigger>? triggers)
    {
        if (transaction.Zxid <= LastZxid)
        {
            throw new InvalidDataException($"Transaction zxid {transaction.Zxid} is not after the last applied zxid {LastZxid}");
        }

        long zxid = transaction.Zxid;
        NodeStat?[] stats = new NodeStat?[transaction.Ops.Count];
        for (int i = 0; i < stats.Length; i++)
        {
            TreeOp op = transaction.Ops[i];
            switch (op.Kind)
            {
                case TreeOpKind.Create:
                    stats[i] = ApplyCreate(op, zxid, transaction.Time, triggers);
                    break;
                case TreeOpKind.Delete:
                    ApplyDelete(op.Path, zxid, triggers);
                    break;
                case TreeOpKind.SetData:
                    stats[i] = ApplySetData(op, zxid, transaction.Time, triggers);
                    break;
                default:
                    throw new InvalidDataException($"Unknown op kind {op.Kind} in transaction {zxid}");
            }
        }

        LastZxid = zxid;
        return stats;
    }

    /// <summary>Adds a node read from a snapshot; parents come before their children.</summary>
    public void Restore(string path, DataNode node)
    {
        if (path == CoordinationPath.Root)
        {
            _nodes[path] = node;
            return;
        }

        DataNode parent = _nodes.GetValueOrDefault(CoordinationPath.Parent(path))
            ?? throw new InvalidDataException($"Snapshot node {path} comes before its parent");
        if (!_nodes.TryAdd(path, node))
        {
            throw new InvalidDataException($"Snapshot holds {path} twice");
        }

        parent.Children.Add(CoordinationPath.Name(path));
        IndexEphemeral(path, node.EphemeralOwner);
    }

    /// <summary>Sets the zxid a snapshot was taken at.</summary>
    public void RestoreLastZxid(long zxid) => LastZxid = zxid;

    /// <summary>Every node, parents before children, children in name order: the snapshot order.</summary>
    public IEnumerable<KeyValuePair<string, DataNode>> PreOrder()
    {
        Stack<string> pending = new();
        pending.Push(CoordinationPath.Root);
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            DataNode node = _nodes[path];
            yield return new(path, node);

            // Pushed in reverse so they pop in name order.
            foreach (string child in node.Children.Reverse())
            {
                pending.Push(CoordinationPath.Child(path, child));
            }
        }
    }

    private NodeStat ApplyCreate(TreeOp op, long zxid, long time, List<WatchTrigger>? triggers)
    {
        string parentPath = CoordinationPath.Parent(op.Path);
        DataNode parent = _nodes.GetValueOrDefault(parentPath)
            ?? throw new InvalidDataException($"Transaction {zxid} creates {op.Path} but {parentPath} does not exist");
        DataNode node = new(op.Data, zxid, time, op.EphemeralOwner);
        if (!_nodes.TryAdd(op.Path, node))
        {
            throw new InvalidDataException($"Transaction {zxid} creates {op.Path} which already exists");
        }

        parent.Children.Add(CoordinationPath.Name(op.Path));
        parent.Cversion++;
        parent.Pzxid = zxid;
        IndexEphemeral(op.Path, op.EphemeralOwner);
        triggers?.Add(new(op.Path, WatchEventType.NodeCreated));
        triggers?.Add(new(parentPath, WatchEventType.NodeChildrenChanged));
        return node.Stat;
    }

    private void ApplyDelete(string path, long zxid, List<WatchTrigger>? triggers)
    {
        if (!_nodes.TryGetValue(path, out DataNode? node) || path == CoordinationPath.Root)
        {
            throw new InvalidDataException($"Transaction {zxid} deletes {path} which does not exist");
        }

        if (node.Children.Count > 0)
        {
            throw new InvalidDataException($"Transaction {zxid} deletes {path} which has children");
        }

        string parentPath = CoordinationPath.Parent(path);
        DataNode parent = _nodes[parentPath];
        _nodes.Remove(path);
        parent.Children.Remove(CoordinationPath.Name(path));
        parent.Cversion++;
        parent.Pzxid = zxid;
        if (node.EphemeralOwner != 0 && _ephemeralsByOwner.TryGetValue(node.EphemeralOwner, out SortedSet<string>? owned))
        {
            owned.Remove(path);
            if (owned.Count == 0)
            {
                _ephemeralsByOwner.Remove(node.EphemeralOwner);
            }
        }

        triggers?.Add(new(path, WatchEventType.NodeDeleted));
        triggers?.Add(new(parentPath, WatchEventType.NodeChildrenChanged));
    }

    private NodeStat ApplySetData(TreeOp op, long zxid, long time, List<WatchTrigger>? triggers)
    {
        DataNode node = _nodes.GetValueOrDefault(op.Path)
            ?? throw new InvalidDataException($"Transaction {zxid} sets data of {op.Path} which does not exist");
        node.Data = op.Data;
        node.Version++;
        node.Mzxid = zxid;
        node.Mtime = time;
        triggers?.Add(new(op.Path, WatchEventType.NodeDataChanged));
        return node.Stat;
    }

    private void IndexEphemeral(string path, long owner)
    {
        if (owner == 0)
        {
            return;
        }

        if (!_ephemeralsByOwner.TryGetValue(owner, out SortedSet<string>? owned))
        {
            owned = new SortedSet<string>(StringComparer.Ordinal);
            _ephemeralsByOwner[owner] = owned;
        }

        owned.Add(path);
    }
}
