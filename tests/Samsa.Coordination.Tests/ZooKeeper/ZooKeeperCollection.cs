using Samsa.Testing;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>
/// The tests that share one real three-server ensemble. Each test works in a chroot of its own
/// (<see cref="ZooKeeperTestNamespace"/>), so they never see each other's nodes.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ZooKeeperCollection : ICollectionFixture<ZooKeeperEnsembleFixture>
{
    public const string Name = "ZooKeeper ensemble";
}
