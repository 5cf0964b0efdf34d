using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.Embedded;

public sealed class WatchTests
{
    [Fact]
    public async Task Data_watch_fires_once_on_change()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/config", Bytes("a"), CreateMode.Persistent);
        RecordingWatcher watcher = new();
        await f.Store.GetDataAsync("/config", watcher);

        await f.Store.SetDataAsync("/config", Bytes("b"));
        await f.Store.SetDataAsync("/config", Bytes("c"));

        Assert.Equal(new WatchEvent(WatchEventType.NodeDataChanged, "/config"), await watcher.NextAsync());
        await DrainEventsAsync(f.Store);
        Assert.False(watcher.TryNext(out _));
    }

    [Fact]
    public async Task Exists_on_a_missing_node_fires_on_create()
    {
        await using StoreFixture f = new();
        RecordingWatcher watcher = new();
        Assert.Null(await f.Store.ExistsAsync("/controller", watcher));

        ICoordinationStore other = f.Store.OpenSession();
        await other.CreateAsync("/controller", Bytes("{\"brokerid\":1}"), CreateMode.Ephemeral);

        Assert.Equal(new WatchEvent(WatchEventType.NodeCreated, "/controller"), await watcher.NextAsync());

        // Re-armed, the watch sees the owner's session end.
        Assert.NotNull(await f.Store.ExistsAsync("/controller", watcher));
        await other.DisposeAsync();
        Assert.Equal(new WatchEvent(WatchEventType.NodeDeleted, "/controller"), await watcher.NextAsync());
    }

    [Fact]
    public async Task Get_data_on_a_missing_node_sets_no_watch()
    {
        await using StoreFixture f = new();
        RecordingWatcher watcher = new();
        Assert.Null(await f.Store.GetDataAsync("/late", watcher));
        await f.Store.CreateAsync("/late", default, CreateMode.Persistent);
        await DrainEventsAsync(f.Store);
        Assert.False(watcher.TryNext(out _));
    }

    [Fact]
    public async Task Child_watch_fires_on_create_and_delete_of_children_not_on_their_data()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/ids", default, CreateMode.Persistent);
        await f.Store.CreateAsync("/ids/1", default, CreateMode.Persistent);
        RecordingWatcher watcher = new();

        await f.Store.GetChildrenAsync("/ids", watcher);
        await f.Store.SetDataAsync("/ids/1", Bytes("x"));
        await f.Store.SetDataAsync("/ids", Bytes("x"));
        await f.Store.CreateAsync("/ids/2", default, CreateMode.Persistent);
        Assert.Equal(new WatchEvent(WatchEventType.NodeChildrenChanged, "/ids"), await watcher.NextAsync());

        await f.Store.GetChildrenAsync("/ids", watcher);
        await f.Store.DeleteAsync("/ids/1");
        Assert.Equal(new WatchEvent(WatchEventType.NodeChildrenChanged, "/ids"), await watcher.NextAsync());

        await DrainEventsAsync(f.Store);
        Assert.False(watcher.TryNext(out _));
    }

    [Fact]
    public async Task Deleting_a_node_fires_its_data_and_child_watches_once_per_watcher()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/topic", default, CreateMode.Persistent);
        RecordingWatcher both = new();
        RecordingWatcher parent = new();
        await f.Store.GetDataAsync("/topic", both);
        await f.Store.GetChildrenAsync("/topic", both);
        await f.Store.ExistsAsync("/topic", both);
        await f.Store.GetChildrenAsync("/", parent);

        await f.Store.DeleteAsync("/topic");

        Assert.Equal(new WatchEvent(WatchEventType.NodeDeleted, "/topic"), await both.NextAsync());
        Assert.Equal(new WatchEvent(WatchEventType.NodeChildrenChanged, "/"), await parent.NextAsync());
        await DrainEventsAsync(f.Store);
        Assert.False(both.TryNext(out _));
    }

    [Fact]
    public async Task Events_arrive_in_commit_order_across_paths()
    {
        await using StoreFixture f = new();
        RecordingWatcher watcher = new();
        const int count = 50;
        for (int i = 0; i < count; i++)
        {
            await f.Store.ExistsAsync($"/n{i:D3}", watcher);
        }

        await f.Store.CreateAsync("/n049", default, CreateMode.Persistent);
        for (int i = 0; i < count - 1; i++)
        {
            await f.Store.CreateAsync($"/n{i:D3}", default, CreateMode.Persistent);
        }

        Assert.Equal("/n049", (await watcher.NextAsync()).Path);
        for (int i = 0; i < count - 1; i++)
        {
            WatchEvent e = await watcher.NextAsync();
            Assert.Equal(new WatchEvent(WatchEventType.NodeCreated, $"/n{i:D3}"), e);
        }
    }

    [Fact]
    public async Task Watchers_may_call_back_into_the_store()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/a", default, CreateMode.Persistent);
        TaskCompletionSource<string> reread = new(TaskCreationOptions.RunContinuationsAsynchronously);
        CallbackWatcher watcher = new(_ =>
        {
            // Runs on the delivery loop, outside the store's lock: a synchronous call back is safe.
            NodeData? data = f.Store.GetDataAsync("/a").AsTask().GetAwaiter().GetResult();
            reread.TrySetResult(Text(data!.Data));
        });
        await f.Store.GetDataAsync("/a", watcher);

        await f.Store.SetDataAsync("/a", Bytes("new"));

        Assert.Equal("new", await reread.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_closed_session_hears_nothing_more()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/a", default, CreateMode.Persistent);
        ICoordinationStore session = f.Store.OpenSession();
        RecordingWatcher watcher = new();
        await session.GetDataAsync("/a", watcher);

        await session.DisposeAsync();
        await f.Store.SetDataAsync("/a", Bytes("x"));

        await DrainEventsAsync(f.Store);
        Assert.False(watcher.TryNext(out _));
    }

    private sealed class CallbackWatcher(Action<WatchEvent> callback) : IWatcher
    {
        public void Process(WatchEvent e) => callback(e);
    }
}
