namespace Samsa.Coordination;

/// <summary>
/// Receives watch events. A watch is one-shot, as in ZooKeeper: it fires at most once and must be
/// set again by the next read. Events reach <see cref="Process"/> on the store's single delivery
/// loop, in the order the changes happened, never while the store holds its lock, so a watcher may
/// call back into the store; it should not block, because it holds up every later event.
/// </summary>
public interface IWatcher
{
    void Process(WatchEvent e);
}
