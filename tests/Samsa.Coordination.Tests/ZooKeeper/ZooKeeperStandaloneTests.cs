using Samsa.Coordination.ZooKeeper;
using Samsa.Testing;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>A single standalone server of its own: the one-server fixture, and creating a chroot.</summary>
public sealed class ZooKeeperStandaloneTests
{
    [Fact]
    public async Task EnsureChroot_creates_every_missing_segment_once_on_a_standalone_server()
    {
        await using ZooKeeperEnsemble server = await ZooKeeperEnsemble.StartAsync(1);
        Assert.Equal("standalone", await server.ModeAsync(0));
        var options = new ZooKeeperClientOptions { ConnectString = server.ConnectString + "/kafka/cluster-a" };

        await ZooKeeperClient.EnsureChrootAsync(options, null, CancellationToken.None);
        await ZooKeeperClient.EnsureChrootAsync(options, null, CancellationToken.None);

        await using ZooKeeperClient chrooted = await ZooKeeperClient.ConnectAsync(options, null, CancellationToken.None);
        Assert.Equal("/brokers", await chrooted.CreateAsync("/brokers", Bytes("x"), CreateMode.Persistent));
        await using ZooKeeperClient root = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = server.ConnectString }, null, CancellationToken.None);
        Assert.Equal(["brokers"], (await root.GetChildrenAsync("/kafka/cluster-a"))!);
        Assert.Equal("x", Text((await root.GetDataAsync("/kafka/cluster-a/brokers"))!.Data));
    }
}
