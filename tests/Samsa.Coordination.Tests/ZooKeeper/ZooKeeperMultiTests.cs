using Samsa.Testing;
using static Samsa.Coordination.Tests.Embedded.CrudTests;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>ZooKeeper's multi: all or nothing, results per operation, the failing index.</summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class ZooKeeperMultiTests(ZooKeeperEnsembleFixture ensemble)
{
    [Fact]
    public async Task Multi_applies_every_op_in_one_zxid_and_returns_results()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/controller_epoch", Bytes("1"), CreateMode.Persistent);

        IReadOnlyList<CoordinationOpResult> results = await ns.Store.MultiAsync(
        [
            CoordinationOp.Check("/controller_epoch", 0),
            CoordinationOp.Create("/controller", Bytes("{\"brokerid\":1}"), CreateMode.Ephemeral),
            CoordinationOp.SetData("/controller_epoch", Bytes("2"), 0),
            CoordinationOp.Create("/seq-", default, CreateMode.PersistentSequential),
            CoordinationOp.Create("/gone", default, CreateMode.Persistent),
            CoordinationOp.Delete("/gone", 0),
        ]);

        Assert.Equal(6, results.Count);
        Assert.Null(results[0].Stat);
        Assert.Equal("/controller", results[1].CreatedPath);

        // ZooKeeper 3.8 answers a create inside a multi with its path only (type create, no stat).
        Assert.Null(results[1].Stat);
        NodeStat controller = (await ns.Store.ExistsAsync("/controller"))!.Value;
        Assert.Equal(ns.Store.SessionId, controller.EphemeralOwner);
        Assert.Equal(1, results[2].Stat!.Value.Version);
        Assert.Equal("/seq-0000000002", results[3].CreatedPath);
        Assert.Null(results[5].Stat);
        Assert.Null(await ns.Store.ExistsAsync("/gone"));
        Assert.Equal(controller.Czxid, results[2].Stat!.Value.Mzxid);
    }

    [Fact]
    public async Task A_failing_op_fails_the_whole_multi_with_its_code_and_index()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/controller_epoch", Bytes("1"), CreateMode.Persistent);
        NodeStat before = await ns.Store.SetDataAsync("/controller_epoch", Bytes("2"));
        RecordingWatcher watcher = new();
        await ns.Store.ExistsAsync("/controller", watcher);

        CoordinationException e = await AssertError(CoordinationError.BadVersion, () => ns.Store.MultiAsync(
        [
            CoordinationOp.Create("/controller", Bytes("me"), CreateMode.Ephemeral),
            CoordinationOp.SetData("/controller_epoch", Bytes("3"), 0),
        ]).AsTask());

        Assert.Equal(1, e.FailedOperationIndex);
        Assert.Equal("/controller_epoch", e.Path);
        Assert.Null(await ns.Store.ExistsAsync("/controller"));
        NodeData epoch = (await ns.Store.GetDataAsync("/controller_epoch"))!;
        Assert.Equal("2", Text(epoch.Data));
        Assert.Equal(before, epoch.Stat);
        await DrainEventsAsync(ns.Store);
        Assert.False(watcher.TryNext(out _));
    }

    [Theory]
    [InlineData(CoordinationError.NoNode)]
    [InlineData(CoordinationError.NodeExists)]
    [InlineData(CoordinationError.NotEmpty)]
    [InlineData(CoordinationError.NoChildrenForEphemerals)]
    [InlineData(CoordinationError.BadVersion)]
    [InlineData(CoordinationError.BadArguments)]
    public async Task Multi_reports_each_failure_code(CoordinationError expected)
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/p", default, CreateMode.Persistent);
        await ns.Store.CreateAsync("/p/c", default, CreateMode.Persistent);
        await ns.Store.CreateAsync("/p/d", default, CreateMode.Persistent);
        await ns.Store.CreateAsync("/e", default, CreateMode.Ephemeral);
        CoordinationOp failing = expected switch
        {
            CoordinationError.NoNode => CoordinationOp.Check("/missing", -1),
            CoordinationError.NodeExists => CoordinationOp.Create("/p", default, CreateMode.Persistent),
            // The multi's own delete of /p/c is seen, but /p/d remains.
            CoordinationError.NotEmpty => CoordinationOp.Delete("/p", -1),
            CoordinationError.NoChildrenForEphemerals => CoordinationOp.Create("/e/x", default, CreateMode.Persistent),
            CoordinationError.BadVersion => CoordinationOp.Check("/p/d", 7),
            _ => CoordinationOp.SetData("bad", default, -1),
        };

        CoordinationException e = await AssertError(expected, () => ns.Store.MultiAsync(
            [CoordinationOp.Create("/new", default, CreateMode.Persistent), CoordinationOp.Delete("/p/c", -1), failing]).AsTask());

        Assert.Equal(2, e.FailedOperationIndex);
        Assert.Null(await ns.Store.ExistsAsync("/new"));
        Assert.NotNull(await ns.Store.ExistsAsync("/p/c"));
    }

    [Fact]
    public async Task Later_ops_see_the_effects_of_earlier_ones()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        IReadOnlyList<CoordinationOpResult> results = await ns.Store.MultiAsync(
        [
            CoordinationOp.Create("/a", default, CreateMode.Persistent),
            CoordinationOp.Create("/a/b", Bytes("1"), CreateMode.Persistent),
            CoordinationOp.SetData("/a/b", Bytes("2"), 0),
            CoordinationOp.Check("/a/b", 1),
            CoordinationOp.SetData("/a/b", Bytes("3"), 1),
        ]);

        Assert.Equal(1, results[2].Stat!.Value.Version);
        Assert.Equal(2, results[4].Stat!.Value.Version);
        Assert.Equal("3", Text((await ns.Store.GetDataAsync("/a/b"))!.Data));
    }

    [Fact]
    public async Task A_multi_of_checks_changes_nothing()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/a", default, CreateMode.Persistent);
        NodeStat before = (await ns.Store.ExistsAsync("/"))!.Value;
        IReadOnlyList<CoordinationOpResult> results = await ns.Store.MultiAsync([CoordinationOp.Check("/a", 0)]);
        Assert.Single(results);
        Assert.Equal(before, (await ns.Store.ExistsAsync("/"))!.Value);
        Assert.Empty(await ns.Store.MultiAsync([]));
    }
}
