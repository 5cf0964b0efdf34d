namespace Samsa.Coordination.Embedded;

/// <summary>
/// The embedded store's armed watches, by path, as ZooKeeper's WatchManager: data watches (set by
/// exists and getData) fire on NodeCreated, NodeDataChanged and NodeDeleted; child watches (set by
/// getChildren) fire on NodeChildrenChanged and NodeDeleted. Each watch fires once and is removed;
/// the same watcher set twice on one path by one session fires once. Used under the store's lock;
/// fired events go to the <see cref="WatchDispatcher"/>, which delivers them outside it.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly Dictionary<string, List<WatchRegistration>> _dataWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<WatchRegistration>> _childWatches = new(StringComparer.Ordinal);

    public void AddDataWatch(string path, IWatcher watcher, EmbeddedSession session) => Add(_dataWatches, path, new(watcher, session));

    public void AddChildWatch(string path, IWatcher watcher, EmbeddedSession session) => Add(_childWatches, path, new(watcher, session));

    public void Fire(WatchTrigger trigger, WatchDispatcher dispatcher)
    {
        List<WatchRegistration>? data = null;
        List<WatchRegistration>? children = null;
        switch (trigger.Type)
        {
            case WatchEventType.NodeCreated:
            case WatchEventType.NodeDataChanged:
                _dataWatches.Remove(trigger.Path, out data);
                break;
            case WatchEventType.NodeChildrenChanged:
                _childWatches.Remove(trigger.Path, out children);
                break;
            case WatchEventType.NodeDeleted:
                _dataWatches.Remove(trigger.Path, out data);
                _childWatches.Remove(trigger.Path, out children);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(trigger), trigger.Type, "Unknown watch event type");
        }

        WatchEvent e = new(trigger.Type, trigger.Path);
        if (data is not null)
        {
            foreach (WatchRegistration registration in data)
            {
                dispatcher.Post(new WatchDelivery(registration.Watcher, e));
            }
        }

        if (children is not null)
        {
            foreach (WatchRegistration registration in children)
            {
                // A watcher armed as both data and child watch hears of the deletion once.
                if (data is null || !data.Contains(registration))
                {
                    dispatcher.Post(new WatchDelivery(registration.Watcher, e));
                }
            }
        }
    }

    /// <summary>Drops every watch of a session that ended: its watchers must hear nothing more.</summary>
    public void RemoveSession(EmbeddedSession session)
    {
        RemoveSession(_dataWatches, session);
        RemoveSession(_childWatches, session);
    }

    private static void Add(Dictionary<string, List<WatchRegistration>> watches, string path, WatchRegistration registration)
    {
        if (!watches.TryGetValue(path, out List<WatchRegistration>? registrations))
        {
            registrations = [];
            watches[path] = registrations;
        }

        if (!registrations.Contains(registration))
        {
            registrations.Add(registration);
        }
    }

    private static void RemoveSession(Dictionary<string, List<WatchRegistration>> watches, EmbeddedSession session)
    {
        List<string>? emptied = null;
        foreach (KeyValuePair<string, List<WatchRegistration>> entry in watches)
        {
            if (entry.Value.RemoveAll(r => ReferenceEquals(r.Session, session)) > 0 && entry.Value.Count == 0)
            {
                (emptied ??= []).Add(entry.Key);
            }
        }

        if (emptied is not null)
        {
            foreach (string path in emptied)
            {
                watches.Remove(path);
            }
        }
    }

    private readonly record struct WatchRegistration(IWatcher Watcher, EmbeddedSession Session);
}
