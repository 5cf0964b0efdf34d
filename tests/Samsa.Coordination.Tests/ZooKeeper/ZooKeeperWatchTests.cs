using Samsa.Coordination.ZooKeeper;
using Samsa.Testing;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>One-shot data, exist and child watches delivered by a real ensemble.</summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class ZooKeeperWatchTests(ZooKeeperEnsembleFixture ensemble)
{
    [Fact]
    public async Task Data_watch_fires_once_on_change()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/config", Bytes("a"), CreateMode.Persistent);
        RecordingWatcher watcher = new();
        await ns.Store.GetDataAsync("/config", watcher);

        await ns.Store.SetDataAsync("/config", Bytes("b"));
        await ns.Store.SetDataAsync("/config", Bytes("c"));

        Assert.Equal(new WatchEvent(WatchEventType.NodeDataChanged, "/config"), await watcher.NextAsync());
        await DrainEventsAsync(ns.Store);
        Assert.False(watcher.TryNext(out _));
    }

    [Fact]
    public async Task Exists_on_a_missing_node_fires_on_create_by_another_session()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        RecordingWatcher watcher = new();
        Assert.Null(await ns.Store.ExistsAsync("/controller", watcher));

        ZooKeeperClient other = await ns.OpenSessionAsync();
        await other.CreateAsync("/controller", Bytes("{\"brokerid\":1}"), CreateMode.Ephemeral);

        Assert.Equal(new WatchEvent(WatchEventType.NodeCreated, "/controller"), await watcher.NextAsync());

        // Re-armed, the watch sees the owner's session end.
        Assert.NotNull(await ns.Store.ExistsAsync("/controller", watcher));
        await other.DisposeAsync();
        Assert.Equal(new WatchEvent(WatchEventType.NodeDeleted, "/controller"), await watcher.NextAsync());
    }

    [Fact]
    public async Task Get_data_on_a_missing_node_sets_no_watch()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        RecordingWatcher watcher = new();
        Assert.Null(await ns.Store.GetDataAsync("/late", watcher));
        await ns.Store.CreateAsync("/late", default, CreateMode.Persistent);
        await DrainEventsAsync(ns.Store);
        Assert.False(watcher.TryNext(out _));
    }

    [Fact]
    public async Task Child_watch_fires_on_create_and_delete_of_children_not_on_their_data()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/ids", default, CreateMode.Persistent);
        await ns.Store.CreateAsync("/ids/1", default, CreateMode.Persistent);
        RecordingWatcher watcher = new();

        await ns.Store.GetChildrenAsync("/ids", watcher);
        await ns.Store.SetDataAsync("/ids/1", Bytes("x"));
        await ns.Store.SetDataAsync("/ids", Bytes("x"));
        await ns.Store.CreateAsync("/ids/2", default, CreateMode.Persistent);
        Assert.Equal(new WatchEvent(WatchEventType.NodeChildrenChanged, "/ids"), await watcher.NextAsync());

        await ns.Store.GetChildrenAsync("/ids", watcher);
        await ns.Store.DeleteAsync("/ids/1");
        Assert.Equal(new WatchEvent(WatchEventType.NodeChildrenChanged, "/ids"), await watcher.NextAsync());

        await DrainEventsAsync(ns.Store);
        Assert.False(watcher.TryNext(out _));
    }

    [Fact]
    public async Task Deleting_a_node_fires_its_data_and_child_watches_once_per_watcher()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/topic", default, CreateMode.Persistent);
        RecordingWatcher both = new();
        RecordingWatcher parent = new();
        await ns.Store.GetDataAsync("/topic", both);
        await ns.Store.GetChildrenAsync("/topic", both);
        await ns.Store.ExistsAsync("/topic", both);
        await ns.Store.GetChildrenAsync("/", parent);

        await ns.Store.DeleteAsync("/topic");

        Assert.Equal(new WatchEvent(WatchEventType.NodeDeleted, "/topic"), await both.NextAsync());
        Assert.Equal(new WatchEvent(WatchEventType.NodeChildrenChanged, "/"), await parent.NextAsync());
        await DrainEventsAsync(ns.Store);
        Assert.False(both.TryNext(out _));
    }

    [Fact]
    public async Task Events_arrive_in_commit_order_across_paths()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        RecordingWatcher watcher = new();
        const int count = 50;
        for (int i = 0; i < count; i++)
        {
            await ns.Store.ExistsAsync($"/n{i:D3}", watcher);
        }

        await ns.Store.CreateAsync("/n049", default, CreateMode.Persistent);
        for (int i = 0; i < count - 1; i++)
        {
            await ns.Store.CreateAsync($"/n{i:D3}", default, CreateMode.Persistent);
        }

        Assert.Equal("/n049", (await watcher.NextAsync()).Path);
        for (int i = 0; i < count - 1; i++)
        {
            WatchEvent e = await watcher.NextAsync();
            Assert.Equal(new WatchEvent(WatchEventType.NodeCreated, $"/n{i:D3}"), e);
        }
    }

    [Fact]
    public async Task Watchers_may_call_back_into_the_client()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/a", default, CreateMode.Persistent);
        TaskCompletionSource<string> reread = new(TaskCreationOptions.RunContinuationsAsynchronously);
        CallbackWatcher watcher = new(_ =>
        {
            // Runs on the delivery loop, not the socket's receive loop: a synchronous call back is safe.
            NodeData? data = ns.Store.GetDataAsync("/a").AsTask().GetAwaiter().GetResult();
            reread.TrySetResult(Text(data!.Data));
        });
        await ns.Store.GetDataAsync("/a", watcher);

        await ns.Store.SetDataAsync("/a", Bytes("new"));

        Assert.Equal("new", await reread.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private sealed class CallbackWatcher(Action<WatchEvent> callback) : IWatcher
    {
        public void Process(WatchEvent e) => callback(e);
    }
}
