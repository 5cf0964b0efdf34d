using Samsa.Testing;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>Tests that kill, restart or cut off servers get an ensemble of their own.</summary>
[CollectionDefinition(Name)]
public sealed class ZooKeeperFailoverCollection : ICollectionFixture<ZooKeeperEnsembleFixture>
{
    public const string Name = "ZooKeeper ensemble for failover";
}
