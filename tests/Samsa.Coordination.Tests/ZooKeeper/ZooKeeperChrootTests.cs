using Samsa.Coordination.ZooKeeper;
using Samsa.Testing;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>A chroot in the connect string ("h1:p1,h2:p2/samsa") applies to every path in and out.</summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class ZooKeeperChrootTests(ZooKeeperEnsembleFixture ensemble)
{
    [Fact]
    public async Task Paths_are_prefixed_on_the_server_and_stripped_in_results_and_events()
    {
        // Every namespace's Store is chrooted at ns.Chroot; ns.Root sees the real tree.
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        Assert.Equal(ns.Chroot, ns.Store.Chroot);
        RecordingWatcher rootWatcher = new();
        RecordingWatcher childWatcher = new();
        Assert.Null(await ns.Store.ExistsAsync("/brokers", rootWatcher));
        Assert.Empty((await ns.Store.GetChildrenAsync("/", childWatcher))!);

        string created = await ns.Store.CreateAsync("/brokers", Bytes("b"), CreateMode.Persistent);
        string sequential = await ns.Store.CreateAsync("/brokers/seq-", default, CreateMode.EphemeralSequential);
        IReadOnlyList<CoordinationOpResult> multi = await ns.Store.MultiAsync([CoordinationOp.Create("/brokers/m-", default, CreateMode.PersistentSequential)]);

        Assert.Equal("/brokers", created);
        Assert.Equal("/brokers/seq-0000000000", sequential);
        Assert.Equal("/brokers/m-0000000001", multi[0].CreatedPath);
        Assert.Equal(new WatchEvent(WatchEventType.NodeCreated, "/brokers"), await rootWatcher.NextAsync());
        Assert.Equal(new WatchEvent(WatchEventType.NodeChildrenChanged, "/"), await childWatcher.NextAsync());

        await ns.Root.SyncAsync(ns.Chroot);
        Assert.Equal("b", Text((await ns.Root.GetDataAsync(ns.Chroot + "/brokers"))!.Data));
        Assert.Equal(["m-0000000001", "seq-0000000000"], (await ns.Root.GetChildrenAsync(ns.Chroot + "/brokers"))!);
        Assert.Null(await ns.Root.ExistsAsync("/brokers"));
        Assert.Equal(["brokers"], (await ns.Store.GetChildrenAsync("/"))!);
    }

    [Fact]
    public async Task The_chroot_itself_reads_as_the_root_and_cannot_be_deleted()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        NodeStat viaChroot = (await ns.Store.ExistsAsync("/"))!.Value;
        NodeStat viaRoot = (await ns.Root.ExistsAsync(ns.Chroot))!.Value;
        Assert.Equal(viaRoot.Czxid, viaChroot.Czxid);

        await Assert.ThrowsAsync<CoordinationException>(() => ns.Store.DeleteAsync("/").AsTask());
        Assert.NotNull(await ns.Root.ExistsAsync(ns.Chroot));
    }

    [Fact]
    public async Task A_missing_chroot_makes_every_path_missing()
    {
        await using ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(
            ZooKeeperTestNamespace.Options(ensemble.ConnectString + "/no-such-chroot-" + Guid.NewGuid().ToString("N")), null, CancellationToken.None);
        Assert.Null(await client.ExistsAsync("/"));
        await Embedded.CrudTests.AssertError(CoordinationError.NoNode, () => client.CreateAsync("/a", default, CreateMode.Persistent).AsTask());
    }
}
