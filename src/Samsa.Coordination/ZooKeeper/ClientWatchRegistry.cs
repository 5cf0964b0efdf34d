namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// The client's side of ZooKeeper's one-shot watches, as the Java client's ZKWatchManager: three
/// tables (data, exist, child) from server path to the watchers set there. A read's reply
/// registers its watcher (exists: data watch if the node is there, exist watch if not; getData:
/// data watch if there; getChildren: child watch if there); a notification takes the watchers its
/// type triggers, each watcher once however many tables held it. The tables are what SetWatches
/// re-arms on a new connection. Keyed by server path (chroot included), as the wire uses.
/// </summary>
internal sealed class ClientWatchRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, HashSet<IWatcher>> _data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<IWatcher>> _exist = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<IWatcher>> _child = new(StringComparer.Ordinal);

    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _data.Count == 0 && _exist.Count == 0 && _child.Count == 0;
            }
        }
    }

    /// <summary>Registers <paramref name="watcher"/> after a watching read's reply, by what the reply said.</summary>
    public void AfterReply(ZooKeeperOpCode op, CoordinationError error, string serverPath, IWatcher watcher)
    {
        Dictionary<string, HashSet<IWatcher>>? table = (op, error) switch
        {
            (ZooKeeperOpCode.Exists, CoordinationError.Ok) => _data,
            (ZooKeeperOpCode.Exists, CoordinationError.NoNode) => _exist,
            (ZooKeeperOpCode.GetData, CoordinationError.Ok) => _data,
            (ZooKeeperOpCode.GetChildren, CoordinationError.Ok) => _child,
            _ => null,
        };
        if (table is null)
        {
            return;
        }

        lock (_lock)
        {
            if (!table.TryGetValue(serverPath, out HashSet<IWatcher>? watchers))
            {
                watchers = new HashSet<IWatcher>(ReferenceEqualityComparer.Instance);
                table[serverPath] = watchers;
            }

            watchers.Add(watcher);
        }
    }

    /// <summary>Removes and returns the watchers an event triggers, or null if none.</summary>
    public IWatcher[]? Take(WatchEventType type, string serverPath)
    {
        lock (_lock)
        {
            HashSet<IWatcher>? taken = null;
            switch (type)
            {
                case WatchEventType.NodeCreated:
                case WatchEventType.NodeDataChanged:
                    TakeFrom(_data, serverPath, ref taken);
                    TakeFrom(_exist, serverPath, ref taken);
                    break;
                case WatchEventType.NodeChildrenChanged:
                    TakeFrom(_child, serverPath, ref taken);
                    break;
                case WatchEventType.NodeDeleted:
                    TakeFrom(_data, serverPath, ref taken);
                    TakeFrom(_exist, serverPath, ref taken);
                    TakeFrom(_child, serverPath, ref taken);
                    break;
                default:
                    return null;
            }

            if (taken is null)
            {
                return null;
            }

            var watchers = new IWatcher[taken.Count];
            taken.CopyTo(watchers);
            return watchers;
        }
    }

    /// <summary>The paths of every armed watch, per table, for SetWatches.</summary>
    public (List<string> Data, List<string> Exist, List<string> Child) Snapshot()
    {
        lock (_lock)
        {
            return ([.. _data.Keys], [.. _exist.Keys], [.. _child.Keys]);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _data.Clear();
            _exist.Clear();
            _child.Clear();
        }
    }

    private static void TakeFrom(Dictionary<string, HashSet<IWatcher>> table, string serverPath, ref HashSet<IWatcher>? taken)
    {
        if (!table.Remove(serverPath, out HashSet<IWatcher>? watchers))
        {
            return;
        }

        if (taken is null)
        {
            taken = watchers;
        }
        else
        {
            taken.UnionWith(watchers);
        }
    }
}
