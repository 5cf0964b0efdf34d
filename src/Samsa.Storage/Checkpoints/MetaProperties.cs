using Samsa.Protocol.Primitives;

namespace Samsa.Storage.Checkpoints;

/// <summary>
/// What a log dir's meta.properties says about who owns it. Version 0 (ZooKeeper mode) names the
/// broker by <see cref="BrokerId"/>; version 1 (KRaft) by <see cref="NodeId"/> and may carry a
/// <see cref="DirectoryId"/>. The broker compares these with its configuration and the cluster id
/// in the coordinator at startup and refuses a log dir that belongs elsewhere.
/// </summary>
public sealed record MetaProperties(int Version, int? BrokerId, int? NodeId, string ClusterId, Uuid? DirectoryId)
{
    public const int ZooKeeperVersion = 0;
    public const int KRaftVersion = 1;
}
