namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// The request types this client sends: ZooKeeper's ZooDefs.OpCode values (the <c>type</c> of a
/// RequestHeader and of a MultiHeader). ZooDefs also has getACL 6, setACL 7, getChildren2 12,
/// reconfig 16, createTTL 21, auth 100, sasl 102 and others we do not use.
/// </summary>
internal enum ZooKeeperOpCode
{
    /// <summary>MultiHeader type of a failed operation's ErrorResponse (and of the closing header).</summary>
    Error = -1,
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    GetChildren = 8,
    Sync = 9,
    Ping = 11,
    Check = 13,
    Multi = 14,

    /// <summary>Create returning the new node's stat too (Create2Response); ZooKeeper 3.5+.</summary>
    Create2 = 15,
    SetWatches = 101,
    CloseSession = -11,
}
