using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.Embedded;

public sealed class MultiTests
{
    [Fact]
    public async Task Multi_applies_every_op_in_one_zxid_and_returns_results()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/controller_epoch", Bytes("1"), CreateMode.Persistent);
        long before = f.Store.LastZxid;

        IReadOnlyList<CoordinationOpResult> results = await f.Store.MultiAsync(
        [
            CoordinationOp.Check("/controller_epoch", 0),
            CoordinationOp.Create("/controller", Bytes("{\"brokerid\":1}"), CreateMode.Ephemeral),
            CoordinationOp.SetData("/controller_epoch", Bytes("2"), 0),
            CoordinationOp.Create("/seq-", default, CreateMode.PersistentSequential),
            CoordinationOp.Create("/gone", default, CreateMode.Persistent),
            CoordinationOp.Delete("/gone", 0),
        ]);

        Assert.Equal(before + 1, f.Store.LastZxid);
        Assert.Null(results[0].Stat);
        Assert.Equal("/controller", results[1].CreatedPath);
        Assert.Equal(f.Store.SessionId, results[1].Stat!.Value.EphemeralOwner);
        Assert.Equal(1, results[2].Stat!.Value.Version);
        Assert.Equal("/seq-0000000002", results[3].CreatedPath);
        Assert.Null(results[5].Stat);
        Assert.Null(await f.Store.ExistsAsync("/gone"));
        Assert.Equal(before + 1, (await f.Store.ExistsAsync("/controller"))!.Value.Czxid);
    }

    [Fact]
    public async Task A_failing_op_fails_the_whole_multi_with_its_code_and_index()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/controller_epoch", Bytes("1"), CreateMode.Persistent);
        await f.Store.SetDataAsync("/controller_epoch", Bytes("2"));
        long before = f.Store.LastZxid;
        RecordingWatcher watcher = new();
        await f.Store.ExistsAsync("/controller", watcher);

        CoordinationException e = await CrudTests.AssertError(CoordinationError.BadVersion, () => f.Store.MultiAsync(
        [
            CoordinationOp.Create("/controller", Bytes("me"), CreateMode.Ephemeral),
            CoordinationOp.SetData("/controller_epoch", Bytes("3"), 0),
        ]).AsTask());

        Assert.Equal(1, e.FailedOperationIndex);
        Assert.Equal(before, f.Store.LastZxid);
        Assert.Null(await f.Store.ExistsAsync("/controller"));
        Assert.Equal("2", Text((await f.Store.GetDataAsync("/controller_epoch"))!.Data));
        await DrainEventsAsync(f.Store);
        Assert.False(watcher.TryNext(out _));
    }

    [Theory]
    [InlineData(CoordinationError.NoNode)]
    [InlineData(CoordinationError.NodeExists)]
    [InlineData(CoordinationError.NotEmpty)]
    [InlineData(CoordinationError.NoChildrenForEphemerals)]
    [InlineData(CoordinationError.BadArguments)]
    public async Task Multi_reports_each_failure_code(CoordinationError expected)
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/p", default, CreateMode.Persistent);
        await f.Store.CreateAsync("/p/c", default, CreateMode.Persistent);
        await f.Store.CreateAsync("/p/d", default, CreateMode.Persistent);
        await f.Store.CreateAsync("/e", default, CreateMode.Ephemeral);
        CoordinationOp failing = expected switch
        {
            CoordinationError.NoNode => CoordinationOp.Check("/missing", -1),
            CoordinationError.NodeExists => CoordinationOp.Create("/p", default, CreateMode.Persistent),
            // The multi's own delete of /p/c is seen, but /p/d remains.
            CoordinationError.NotEmpty => CoordinationOp.Delete("/p", -1),
            CoordinationError.NoChildrenForEphemerals => CoordinationOp.Create("/e/x", default, CreateMode.Persistent),
            _ => CoordinationOp.SetData("bad", default, -1),
        };

        CoordinationException e = await CrudTests.AssertError(expected, () => f.Store.MultiAsync(
            [CoordinationOp.Create("/new", default, CreateMode.Persistent), CoordinationOp.Delete("/p/c", -1), failing]).AsTask());

        Assert.Equal(2, e.FailedOperationIndex);
        Assert.Null(await f.Store.ExistsAsync("/new"));
        Assert.NotNull(await f.Store.ExistsAsync("/p/c"));
    }

    [Fact]
    public async Task Later_ops_see_the_effects_of_earlier_ones()
    {
        await using StoreFixture f = new();
        IReadOnlyList<CoordinationOpResult> results = await f.Store.MultiAsync(
        [
            CoordinationOp.Create("/a", default, CreateMode.Persistent),
            CoordinationOp.Create("/a/b", Bytes("1"), CreateMode.Persistent),
            CoordinationOp.SetData("/a/b", Bytes("2"), 0),
            CoordinationOp.Check("/a/b", 1),
            CoordinationOp.SetData("/a/b", Bytes("3"), 1),
        ]);

        Assert.Equal(1, results[2].Stat!.Value.Version);
        Assert.Equal(2, results[4].Stat!.Value.Version);
        Assert.Equal("3", Text((await f.Store.GetDataAsync("/a/b"))!.Data));
    }

    [Fact]
    public async Task A_multi_of_checks_changes_nothing()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/a", default, CreateMode.Persistent);
        long before = f.Store.LastZxid;
        IReadOnlyList<CoordinationOpResult> results = await f.Store.MultiAsync([CoordinationOp.Check("/a", 0)]);
        Assert.Single(results);
        Assert.Equal(before, f.Store.LastZxid);
        Assert.Empty(await f.Store.MultiAsync([]));
    }
}
