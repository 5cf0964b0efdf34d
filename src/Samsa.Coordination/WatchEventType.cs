namespace Samsa.Coordination;

/// <summary>What happened to a watched node; the numbers are ZooKeeper's event types.</summary>
public enum WatchEventType
{
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
}
