namespace Samsa.Coordination;

/// <summary>The state of a coordination session, as ZooKeeper's KeeperState (the numbers are its wire values).</summary>
public enum SessionState
{
    /// <summary>Connection lost; the session may still be alive and its ephemerals still exist.</summary>
    Disconnected = 0,

    /// <summary>Connected; requests are served.</summary>
    Connected = 3,

    /// <summary>The session ended: its ephemerals are gone and every request fails with SessionExpired.</summary>
    Expired = -112,
}
