namespace Samsa.Coordination;

/// <summary>
/// How a node is created, as ZooKeeper's CreateMode; the numbers are ZooKeeper's create flags so a
/// native client can send them as they are.
/// </summary>
public enum CreateMode
{
    /// <summary>Lives until deleted.</summary>
    Persistent = 0,

    /// <summary>Deleted when the session that created it ends; cannot have children.</summary>
    Ephemeral = 1,

    /// <summary>Persistent, with a 10-digit counter from the parent's cversion appended to the name.</summary>
    PersistentSequential = 2,

    /// <summary>Ephemeral, with a 10-digit counter from the parent's cversion appended to the name.</summary>
    EphemeralSequential = 3,
}
