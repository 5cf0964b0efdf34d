namespace Samsa.Coordination;

/// <summary>
/// A node's metadata, ZooKeeper's Stat without the ACL version. Zxids order every change to the
/// tree; <see cref="Version"/> counts data changes and is what conditional writes compare;
/// <see cref="Cversion"/> counts child creations and deletions and numbers sequential children.
/// Times are Unix milliseconds. <see cref="EphemeralOwner"/> is the owning session id, 0 for a
/// persistent node.
/// </summary>
public readonly record struct NodeStat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid);
