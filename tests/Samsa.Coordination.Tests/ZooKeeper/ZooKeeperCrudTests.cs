using Samsa.Coordination.ZooKeeper;
using Samsa.Testing;
using static Samsa.Coordination.Tests.Embedded.CrudTests;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>The store contract's reads and writes against a real ZooKeeper 3.8 ensemble.</summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class ZooKeeperCrudTests(ZooKeeperEnsembleFixture ensemble)
{
    [Fact]
    public async Task Create_then_get_returns_data_and_a_fresh_stat()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        string created = await ns.Store.CreateAsync("/brokers", Bytes("x"), CreateMode.Persistent);

        Assert.Equal("/brokers", created);
        NodeData? node = await ns.Store.GetDataAsync("/brokers");
        Assert.NotNull(node);
        Assert.Equal("x", Text(node.Data));
        NodeStat stat = node.Stat;
        Assert.True(stat.Czxid > 0);
        Assert.Equal(stat.Czxid, stat.Mzxid);
        Assert.Equal(stat.Czxid, stat.Pzxid);
        Assert.InRange(stat.Ctime, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        Assert.Equal(stat.Ctime, stat.Mtime);
        Assert.Equal(0, stat.Version);
        Assert.Equal(0, stat.Cversion);
        Assert.Equal(0, stat.EphemeralOwner);
        Assert.Equal(1, stat.DataLength);
        Assert.Equal(0, stat.NumChildren);
    }

    [Fact]
    public async Task Empty_and_large_data_round_trip()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        byte[] large = new byte[900 * 1024];
        Random.Shared.NextBytes(large);
        await ns.Store.CreateAsync("/empty", default, CreateMode.Persistent);
        await ns.Store.CreateAsync("/large", large, CreateMode.Persistent);

        Assert.Equal(0, (await ns.Store.GetDataAsync("/empty"))!.Data.Length);
        Assert.Equal(large, (await ns.Store.GetDataAsync("/large"))!.Data.ToArray());
    }

    [Fact]
    public async Task Missing_nodes_read_as_null()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        Assert.Null(await ns.Store.GetDataAsync("/nope"));
        Assert.Null(await ns.Store.ExistsAsync("/nope"));
        Assert.Null(await ns.Store.GetChildrenAsync("/nope"));
        Assert.NotNull(await ns.Store.ExistsAsync("/"));
    }

    [Fact]
    public async Task Create_fails_with_zookeeper_codes()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/a", default, CreateMode.Persistent);

        await AssertError(CoordinationError.NodeExists, () => ns.Store.CreateAsync("/a", default, CreateMode.Persistent).AsTask());
        await AssertError(CoordinationError.NodeExists, () => ns.Root.CreateAsync("/", default, CreateMode.Persistent).AsTask());
        await AssertError(CoordinationError.NoNode, () => ns.Store.CreateAsync("/x/y", default, CreateMode.Persistent).AsTask());
        await AssertError(CoordinationError.BadArguments, () => ns.Store.CreateAsync("/big", new byte[2 * 1024 * 1024], CreateMode.Persistent).AsTask());
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
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await AssertError(CoordinationError.BadArguments, () => ns.Store.CreateAsync(path, default, CreateMode.Persistent).AsTask());
        await AssertError(CoordinationError.BadArguments, () => ns.Store.GetDataAsync(path).AsTask());
        await AssertError(CoordinationError.BadArguments, () => ns.Store.DeleteAsync(path).AsTask());
    }

    [Fact]
    public async Task SetData_bumps_version_and_checks_the_expected_one()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        NodeStat s0 = (await ns.Store.ExistsAsync(await ns.Store.CreateAsync("/state", Bytes("v0"), CreateMode.Persistent)))!.Value;

        NodeStat s1 = await ns.Store.SetDataAsync("/state", Bytes("v1"), expectedVersion: 0);
        Assert.Equal(1, s1.Version);
        Assert.True(s1.Mzxid > s1.Czxid);
        Assert.True(s1.Mtime >= s0.Mtime);
        Assert.Equal(2, s1.DataLength);

        CoordinationException stale = await AssertError(CoordinationError.BadVersion, () => ns.Store.SetDataAsync("/state", Bytes("lost"), expectedVersion: 0).AsTask());
        Assert.Equal("/state", stale.Path);

        NodeStat s2 = await ns.Store.SetDataAsync("/state", Bytes("v2"));
        Assert.Equal(2, s2.Version);
        Assert.Equal("v2", Text((await ns.Store.GetDataAsync("/state"))!.Data));
        await AssertError(CoordinationError.NoNode, () => ns.Store.SetDataAsync("/missing", default).AsTask());
    }

    [Fact]
    public async Task Delete_checks_existence_version_and_children()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/t", default, CreateMode.Persistent);
        await ns.Store.CreateAsync("/t/p", default, CreateMode.Persistent);

        await AssertError(CoordinationError.NotEmpty, () => ns.Store.DeleteAsync("/t").AsTask());
        await AssertError(CoordinationError.BadVersion, () => ns.Store.DeleteAsync("/t/p", expectedVersion: 3).AsTask());
        await ns.Store.DeleteAsync("/t/p", expectedVersion: 0);
        await ns.Store.DeleteAsync("/t");
        await AssertError(CoordinationError.NoNode, () => ns.Store.DeleteAsync("/t").AsTask());
        await AssertError(CoordinationError.BadArguments, () => ns.Store.DeleteAsync("/").AsTask());
    }

    [Fact]
    public async Task Children_are_sorted_and_parent_stat_tracks_them()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/ids", default, CreateMode.Persistent);
        foreach (string id in new[] { "3", "1", "20", "2" })
        {
            await ns.Store.CreateAsync("/ids/" + id, default, CreateMode.Persistent);
        }

        await ns.Store.DeleteAsync("/ids/20");

        Assert.Equal(["1", "2", "3"], (await ns.Store.GetChildrenAsync("/ids"))!);
        NodeStat parent = (await ns.Store.ExistsAsync("/ids"))!.Value;
        Assert.Equal(3, parent.NumChildren);
        Assert.Equal(5, parent.Cversion);
        Assert.True(parent.Pzxid > parent.Czxid);
        Assert.Equal(0, parent.Version);
    }

    [Fact]
    public async Task Sequential_names_use_the_parent_cversion()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/isr_change_notification", default, CreateMode.Persistent);
        await ns.Store.CreateAsync("/isr_change_notification/other", default, CreateMode.Persistent);

        string first = await ns.Store.CreateAsync("/isr_change_notification/isr_change_", default, CreateMode.PersistentSequential);
        string second = await ns.Store.CreateAsync("/isr_change_notification/isr_change_", default, CreateMode.PersistentSequential);
        await ns.Store.DeleteAsync(first);
        string third = await ns.Store.CreateAsync("/isr_change_notification/", default, CreateMode.EphemeralSequential);

        Assert.Equal("/isr_change_notification/isr_change_0000000001", first);
        Assert.Equal("/isr_change_notification/isr_change_0000000002", second);

        // The data tree counts the delete in the parent's cversion, but the leader names a sequential
        // node from its pending-change record, which may not have caught up with a delete answered by
        // a follower: 3 or 4 here. Names never repeat either way.
        Assert.StartsWith("/isr_change_notification/000000000", third);
        Assert.InRange(int.Parse(third.AsSpan(third.LastIndexOf('/') + 1), System.Globalization.CultureInfo.InvariantCulture), 3, 4);
    }

    [Fact]
    public async Task Ephemerals_cannot_have_children_and_carry_their_owner()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/controller", default, CreateMode.Ephemeral);

        NodeStat stat = (await ns.Store.ExistsAsync("/controller"))!.Value;
        Assert.NotEqual(0, ns.Store.SessionId);
        Assert.Equal(ns.Store.SessionId, stat.EphemeralOwner);
        await AssertError(CoordinationError.NoChildrenForEphemerals, () => ns.Store.CreateAsync("/controller/x", default, CreateMode.Persistent).AsTask());
    }

    [Fact]
    public async Task Closing_a_session_deletes_only_its_ephemerals_at_once()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/brokers", default, CreateMode.Persistent);
        ZooKeeperClient broker1 = await ns.OpenSessionAsync(TimeSpan.FromSeconds(30));
        ZooKeeperClient broker2 = await ns.OpenSessionAsync(TimeSpan.FromSeconds(30));
        Assert.NotEqual(broker1.SessionId, broker2.SessionId);
        await broker1.CreateAsync("/brokers/1", Bytes("b1"), CreateMode.Ephemeral);
        await broker2.CreateAsync("/brokers/2", Bytes("b2"), CreateMode.Ephemeral);
        await broker1.CreateAsync("/brokers/persistent", default, CreateMode.Persistent);

        await broker1.DisposeAsync();

        // closeSession is a transaction: once it is answered, the ephemerals are gone (not 30 s later).
        // Another session's server may apply it a moment later: sync first.
        await ns.Store.SyncAsync();
        Assert.Equal(["2", "persistent"], (await ns.Store.GetChildrenAsync("/brokers"))!);
        Assert.Equal(SessionState.Expired, broker1.State);
        await AssertError(CoordinationError.SessionExpired, () => broker1.GetDataAsync("/brokers").AsTask());
        await broker2.DisposeAsync();
        await ns.Store.SyncAsync("/brokers");
        Assert.Equal(["persistent"], (await ns.Store.GetChildrenAsync("/brokers"))!);
    }

    [Fact]
    public async Task Sessions_see_each_others_writes_through_different_servers()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        var clients = new List<ZooKeeperClient>();
        for (int i = 0; i < ensemble.Ensemble.Count; i++)
        {
            clients.Add(await ZooKeeperClient.ConnectAsync(ZooKeeperTestNamespace.Options(ensemble.Ensemble.ServerAddress(i) + ns.Chroot), null, CancellationToken.None));
        }

        try
        {
            await clients[0].CreateAsync("/shared", Bytes("from-0"), CreateMode.Persistent);
            for (int i = 1; i < clients.Count; i++)
            {
                // A follower may lag the leader; after a sync it has caught up with the create.
                await clients[i].SyncAsync("/shared");
                Assert.Equal("from-0", Text((await clients[i].GetDataAsync("/shared"))!.Data));
            }
        }
        finally
        {
            foreach (ZooKeeperClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Pipelined_requests_complete_in_any_number()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/p", default, CreateMode.Persistent);
        var creates = new List<Task<string>>();
        for (int i = 0; i < 200; i++)
        {
            creates.Add(ns.Store.CreateAsync($"/p/n{i:D3}", Bytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), CreateMode.Persistent).AsTask());
        }

        string[] created = await Task.WhenAll(creates);
        var reads = new List<Task<NodeData?>>();
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal($"/p/n{i:D3}", created[i]);
            reads.Add(ns.Store.GetDataAsync(created[i]).AsTask());
        }

        NodeData?[] data = await Task.WhenAll(reads);
        for (int i = 0; i < 200; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Text(data[i]!.Data));
        }

        Assert.Equal(200, (await ns.Store.GetChildrenAsync("/p"))!.Count);
    }

    [Fact]
    public async Task Cancelled_token_fails_before_any_change()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        using CancellationTokenSource cancelled = new();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ns.Store.CreateAsync("/a", default, CreateMode.Persistent, cancelled.Token).AsTask());
        Assert.Null(await ns.Store.ExistsAsync("/a"));
    }
}
