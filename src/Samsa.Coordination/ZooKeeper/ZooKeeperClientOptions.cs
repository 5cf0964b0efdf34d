namespace Samsa.Coordination.ZooKeeper;

/// <summary>How a <see cref="ZooKeeperClient"/> connects, as Kafka's zookeeper.* broker settings.</summary>
public sealed class ZooKeeperClientOptions
{
    /// <summary>Kafka's zookeeper.session.timeout.ms default.</summary>
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromSeconds(18);

    /// <summary>
    /// Servers and an optional chroot, as Kafka's zookeeper.connect: "h1:2181,h2:2182/samsa". A host
    /// without a port uses 2181. With a chroot every path is relative to it (the chroot node must exist).
    /// </summary>
    public required string ConnectString { get; init; }

    /// <summary>
    /// The session timeout asked for; the server clamps it to its min/max (by default 2 and 20 ticks).
    /// Pings go out every third of the negotiated timeout; a connection that hears nothing for two
    /// thirds of it is dropped and another server is tried.
    /// </summary>
    public TimeSpan SessionTimeout { get; init; } = DefaultSessionTimeout;

    /// <summary>
    /// Kafka's zookeeper.connection.timeout.ms (default: the session timeout): how long
    /// <see cref="ZooKeeperClient.ConnectAsync"/> waits for the first connection, and how long a
    /// request waits for one before the session was ever established.
    /// </summary>
    public TimeSpan? ConnectionTimeout { get; init; }

    /// <summary>
    /// The largest frame accepted from a server: ZooKeeper's jute.maxbuffer (1 MiB) plus room for
    /// the reply header and a node's stat. A bigger length prefix means a broken stream.
    /// </summary>
    public int MaxFrameLength { get; init; } = (1024 * 1024) + (64 * 1024);

    internal TimeSpan EffectiveConnectionTimeout => ConnectionTimeout ?? SessionTimeout;
}
