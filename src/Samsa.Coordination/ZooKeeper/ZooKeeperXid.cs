namespace Samsa.Coordination.ZooKeeper;

/// <summary>The reserved xids of ZooKeeper's ClientCnxn; requests use 1, 2, 3... per connection.</summary>
internal static class ZooKeeperXid
{
    /// <summary>A watch notification (WatcherEvent body) pushed by the server.</summary>
    public const int Notification = -1;

    public const int Ping = -2;

    public const int SetWatches = -8;
}
