using Samsa.Coordination.Embedded;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.Embedded;

public sealed class CrudTests
{
    [Fact]
    public async Task Create_then_get_returns_data_and_a_fresh_stat()
    {
        await using StoreFixture f = new();
        long before = f.Store.LastZxid;
        string created = await f.Store.CreateAsync("/brokers", Bytes("x"), CreateMode.Persistent);

        Assert.Equal("/brokers", created);
        NodeData? node = await f.Store.GetDataAsync("/brokers");
        Assert.NotNull(node);
        Assert.Equal("x", Text(node.Data));
        NodeStat stat = node.Stat;
        Assert.Equal(before + 1, stat.Czxid);
        Assert.Equal(stat.Czxid, stat.Mzxid);
        Assert.Equal(stat.Czxid, stat.Pzxid);
        Assert.Equal(f.Clock.UnixTimeMilliseconds, stat.Ctime);
        Assert.Equal(stat.Ctime, stat.Mtime);
        Assert.Equal(0, stat.Version);
        Assert.Equal(0, stat.Cversion);
        Assert.Equal(0, stat.EphemeralOwner);
        Assert.Equal(1, stat.DataLength);
        Assert.Equal(0, stat.NumChildren);
    }

    [Fact]
    public async Task Missing_nodes_read_as_null()
    {
        await using StoreFixture f = new();
        Assert.Null(await f.Store.GetDataAsync("/nope"));
        Assert.Null(await f.Store.ExistsAsync("/nope"));
        Assert.Null(await f.Store.GetChildrenAsync("/nope"));
        Assert.NotNull(await f.Store.ExistsAsync("/"));
    }

    [Fact]
    public async Task Create_fails_with_zookeeper_codes()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/a", default, CreateMode.Persistent);

        await AssertError(CoordinationError.NodeExists, () => f.Store.CreateAsync("/a", default, CreateMode.Persistent).AsTask());
        await AssertError(CoordinationError.NodeExists, () => f.Store.CreateAsync("/", default, CreateMode.Persistent).AsTask());
        await AssertError(CoordinationError.NoNode, () => f.Store.CreateAsync("/x/y", default, CreateMode.Persistent).AsTask());
        await AssertError(CoordinationError.BadArguments, () => f.Store.CreateAsync("/big", new byte[2 * 1024 * 1024], CreateMode.Persistent).AsTask());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("/a/")]
    [InlineData("//a")]
    [InlineData("/a//b")]
    [InlineData("/a/./b")]
    [InlineData("/a/..")]
    [InlineData("/a\0b")]
    public async Task Invalid_paths_are_bad_arguments(string path)
    {
        await using StoreFixture f = new();
        await AssertError(CoordinationError.BadArguments, () => f.Store.CreateAsync(path, default, CreateMode.Persistent).AsTask());
        await AssertError(CoordinationError.BadArguments, () => f.Store.GetDataAsync(path).AsTask());
        await AssertError(CoordinationError.BadArguments, () => f.Store.DeleteAsync(path).AsTask());
    }

    [Fact]
    public async Task SetData_bumps_version_and_checks_the_expected_one()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/state", Bytes("v0"), CreateMode.Persistent);
        f.Clock.Advance(TimeSpan.FromSeconds(5));

        NodeStat s1 = await f.Store.SetDataAsync("/state", Bytes("v1"), expectedVersion: 0);
        Assert.Equal(1, s1.Version);
        Assert.Equal(f.Clock.UnixTimeMilliseconds, s1.Mtime);
        Assert.True(s1.Mzxid > s1.Czxid);

        CoordinationException stale = await AssertError(CoordinationError.BadVersion, () => f.Store.SetDataAsync("/state", Bytes("lost"), expectedVersion: 0).AsTask());
        Assert.Equal("/state", stale.Path);

        NodeStat s2 = await f.Store.SetDataAsync("/state", Bytes("v2"));
        Assert.Equal(2, s2.Version);
        Assert.Equal("v2", Text((await f.Store.GetDataAsync("/state"))!.Data));
        await AssertError(CoordinationError.NoNode, () => f.Store.SetDataAsync("/missing", default).AsTask());
    }

    [Fact]
    public async Task Delete_checks_existence_version_and_children()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/t", default, CreateMode.Persistent);
        await f.Store.CreateAsync("/t/p", default, CreateMode.Persistent);

        await AssertError(CoordinationError.NotEmpty, () => f.Store.DeleteAsync("/t").AsTask());
        await AssertError(CoordinationError.BadVersion, () => f.Store.DeleteAsync("/t/p", expectedVersion: 3).AsTask());
        await f.Store.DeleteAsync("/t/p", expectedVersion: 0);
        await f.Store.DeleteAsync("/t");
        await AssertError(CoordinationError.NoNode, () => f.Store.DeleteAsync("/t").AsTask());
        await AssertError(CoordinationError.BadArguments, () => f.Store.DeleteAsync("/").AsTask());
    }

    [Fact]
    public async Task Children_are_sorted_and_parent_stat_tracks_them()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/ids", default, CreateMode.Persistent);
        foreach (string id in new[] { "3", "1", "20", "2" })
        {
            await f.Store.CreateAsync("/ids/" + id, default, CreateMode.Persistent);
        }

        await f.Store.DeleteAsync("/ids/20");

        Assert.Equal(["1", "2", "3"], (await f.Store.GetChildrenAsync("/ids"))!);
        NodeStat parent = (await f.Store.ExistsAsync("/ids"))!.Value;
        Assert.Equal(3, parent.NumChildren);
        Assert.Equal(5, parent.Cversion);
        Assert.Equal(f.Store.LastZxid, parent.Pzxid);
        Assert.Equal(0, parent.Version);
    }

    [Fact]
    public async Task Sequential_names_use_the_parent_cversion()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/isr_change_notification", default, CreateMode.Persistent);
        await f.Store.CreateAsync("/isr_change_notification/other", default, CreateMode.Persistent);

        string first = await f.Store.CreateAsync("/isr_change_notification/isr_change_", default, CreateMode.PersistentSequential);
        string second = await f.Store.CreateAsync("/isr_change_notification/isr_change_", default, CreateMode.PersistentSequential);
        await f.Store.DeleteAsync(first);
        string third = await f.Store.CreateAsync("/isr_change_notification/", default, CreateMode.EphemeralSequential);

        Assert.Equal("/isr_change_notification/isr_change_0000000001", first);
        Assert.Equal("/isr_change_notification/isr_change_0000000002", second);
        Assert.Equal("/isr_change_notification/0000000004", third);
    }

    [Fact]
    public async Task Ephemerals_cannot_have_children_and_carry_their_owner()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/controller", default, CreateMode.Ephemeral);

        NodeStat stat = (await f.Store.ExistsAsync("/controller"))!.Value;
        Assert.Equal(f.Store.SessionId, stat.EphemeralOwner);
        await AssertError(CoordinationError.NoChildrenForEphemerals, () => f.Store.CreateAsync("/controller/x", default, CreateMode.Persistent).AsTask());
    }

    [Fact]
    public async Task Closing_a_session_deletes_only_its_ephemerals()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/brokers", default, CreateMode.Persistent);
        ICoordinationStore broker1 = f.Store.OpenSession();
        ICoordinationStore broker2 = f.Store.OpenSession();
        Assert.NotEqual(broker1.SessionId, broker2.SessionId);
        await broker1.CreateAsync("/brokers/1", Bytes("b1"), CreateMode.Ephemeral);
        await broker2.CreateAsync("/brokers/2", Bytes("b2"), CreateMode.Ephemeral);
        await broker1.CreateAsync("/brokers/persistent", default, CreateMode.Persistent);

        await broker1.DisposeAsync();

        Assert.Equal(["2", "persistent"], (await f.Store.GetChildrenAsync("/brokers"))!);
        Assert.Equal(SessionState.Expired, broker1.State);
        await AssertError(CoordinationError.SessionExpired, () => broker1.GetDataAsync("/brokers").AsTask());
        await broker2.DisposeAsync();
        Assert.Equal(["persistent"], (await f.Store.GetChildrenAsync("/brokers"))!);
    }

    [Fact]
    public async Task Expiring_a_session_deletes_its_ephemerals_and_tells_it()
    {
        await using StoreFixture f = new();
        ICoordinationStore broker = f.Store.OpenSession();
        TaskCompletionSource<SessionState> told = new(TaskCreationOptions.RunContinuationsAsynchronously);
        broker.SessionStateChanged += (_, state) => told.TrySetResult(state);
        await broker.CreateAsync("/controller", default, CreateMode.Ephemeral);

        Assert.True(f.Store.ExpireSession(broker.SessionId));

        Assert.Equal(SessionState.Expired, await told.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(await f.Store.ExistsAsync("/controller"));
        await AssertError(CoordinationError.SessionExpired, () => broker.CreateAsync("/x", default, CreateMode.Persistent).AsTask());
        Assert.False(f.Store.ExpireSession(broker.SessionId));
    }

    [Fact]
    public async Task Cancelled_token_fails_before_any_change()
    {
        await using StoreFixture f = new();
        using CancellationTokenSource cancelled = new();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => f.Store.CreateAsync("/a", default, CreateMode.Persistent, cancelled.Token).AsTask());
        Assert.Null(await f.Store.ExistsAsync("/a"));
    }

    internal static async Task<CoordinationException> AssertError(CoordinationError expected, Func<Task> action)
    {
        CoordinationException e = await Assert.ThrowsAsync<CoordinationException>(action);
        Assert.Equal(expected, e.Error);
        return e;
    }
}
