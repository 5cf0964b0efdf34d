namespace Samsa.Coordination;

/// <summary>
/// A fired watch. It says only what changed and where, never the new data: as with ZooKeeper the
/// watcher reads the node again (and sets the next watch in the same call).
/// </summary>
public readonly record struct WatchEvent(WatchEventType Type, string Path);
