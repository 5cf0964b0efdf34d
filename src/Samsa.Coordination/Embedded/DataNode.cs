namespace Samsa.Coordination.Embedded;

/// <summary>
/// One node of the embedded tree. Owned by <see cref="DataTree"/> and mutated only under the
/// store's lock; <see cref="Data"/> is never mutated in place (a set replaces the array), so it can
/// be handed to readers as it is.
/// </summary>
internal sealed class DataNode
{
    public DataNode(byte[] data, long czxid, long ctime, long ephemeralOwner)
    {
        Data = data;
        Czxid = czxid;
        Mzxid = czxid;
        Pzxid = czxid;
        Ctime = ctime;
        Mtime = ctime;
        EphemeralOwner = ephemeralOwner;
    }

    public byte[] Data { get; set; }

    public long Czxid { get; set; }

    public long Mzxid { get; set; }

    public long Ctime { get; set; }

    public long Mtime { get; set; }

    public int Version { get; set; }

    public int Cversion { get; set; }

    public long EphemeralOwner { get; }

    public long Pzxid { get; set; }

    public SortedSet<string> Children { get; } = new(StringComparer.Ordinal);

    public NodeStat Stat => new(Czxid, Mzxid, Ctime, Mtime, Version, Cversion, EphemeralOwner, Data.Length, Children.Count, Pzxid);
}
