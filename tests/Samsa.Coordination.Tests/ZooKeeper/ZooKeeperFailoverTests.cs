using Samsa.Coordination.ZooKeeper;
using Samsa.Testing;
using static Samsa.Coordination.Tests.Embedded.CrudTests;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>Reconnects that keep the session, and sessions that expire, against real servers.</summary>
[Collection(ZooKeeperFailoverCollection.Name)]
public sealed class ZooKeeperFailoverTests(ZooKeeperEnsembleFixture fixture)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Killing_the_connected_server_moves_the_session_with_its_ephemerals_and_watches()
    {
        ZooKeeperEnsemble ensemble = fixture.Ensemble;
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(fixture, TimeSpan.FromSeconds(15));
        ZooKeeperClient broker = ns.Store;
        var states = new StateRecorder(broker);
        await broker.CreateAsync("/config", Bytes("a"), CreateMode.Persistent);
        await broker.CreateAsync("/ids", default, CreateMode.Persistent);
        await broker.CreateAsync("/ids/1", default, CreateMode.Ephemeral);
        RecordingWatcher dataWatch = new();
        RecordingWatcher existWatch = new();
        RecordingWatcher childWatch = new();
        await broker.GetDataAsync("/config", dataWatch);
        Assert.Null(await broker.ExistsAsync("/controller", existWatch));
        await broker.GetChildrenAsync("/ids", childWatch);
        long session = broker.SessionId;
        string connectedTo = broker.ConnectedServer!;
        int killed = ensemble.IndexOf(connectedTo);
        Assert.InRange(killed, 0, ensemble.Count - 1);

        // Reads in flight when the server dies are resent on the next connection: none fails.
        using CancellationTokenSource stopReading = new();
        int reads = 0;
        Task reader = Task.Run(async () =>
        {
            while (!stopReading.IsCancellationRequested)
            {
                var batch = new Task<NodeData?>[20];
                for (int i = 0; i < batch.Length; i++)
                {
                    batch[i] = broker.GetDataAsync("/config").AsTask();
                }

                foreach (Task<NodeData?> read in batch)
                {
                    Assert.Equal("a", Text((await read)!.Data));
                    Interlocked.Increment(ref reads);
                }
            }
        });

        // Kill only once reads are flowing, so some are in flight when the server goes.
        using (var started = new CancellationTokenSource(EventTimeout))
        {
            while (Volatile.Read(ref reads) < 20)
            {
                await Task.Delay(10, started.Token);
            }
        }

        ensemble.Kill(killed);
        try
        {
            await states.WaitForAsync(SessionState.Disconnected, EventTimeout);
            await states.WaitForAsync(SessionState.Connected, EventTimeout);
            int readsAfterReconnect = Volatile.Read(ref reads) + 20;
            using (var resumed = new CancellationTokenSource(EventTimeout))
            {
                while (Volatile.Read(ref reads) < readsAfterReconnect && !reader.IsCompleted)
                {
                    await Task.Delay(10, resumed.Token);
                }
            }

            await stopReading.CancelAsync();
            await reader.WaitAsync(EventTimeout);

            // A request now goes through the new server: the session, its ephemeral and its id survived.
            Assert.Equal(SessionState.Connected, broker.State);
            Assert.Equal(session, broker.SessionId);
            Assert.Equal(session, (await broker.ExistsAsync("/ids/1"))!.Value.EphemeralOwner);
            Assert.NotEqual(connectedTo, broker.ConnectedServer);

            // The watches were re-armed on the new server.
            ZooKeeperClient other = await ns.OpenSessionAsync();
            await other.SetDataAsync("/config", Bytes("b"));
            await other.CreateAsync("/controller", default, CreateMode.Ephemeral);
            await other.CreateAsync("/ids/2", default, CreateMode.Ephemeral);
            Assert.Equal(new WatchEvent(WatchEventType.NodeDataChanged, "/config"), await dataWatch.NextAsync());
            Assert.Equal(new WatchEvent(WatchEventType.NodeCreated, "/controller"), await existWatch.NextAsync());
            Assert.Equal(new WatchEvent(WatchEventType.NodeChildrenChanged, "/ids"), await childWatch.NextAsync());
        }
        finally
        {
            await ensemble.RestartAsync(killed);
        }
    }

    [Fact]
    public async Task A_change_missed_while_cut_off_fires_on_reconnect()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(fixture);
        await using TcpProxy proxy = new(fixture.Ensemble.ClientPort(0));
        await using ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(ZooKeeperTestNamespace.Options(proxy.Address + ns.Chroot), null, CancellationToken.None);
        var states = new StateRecorder(client);
        await ns.Store.CreateAsync("/config", Bytes("a"), CreateMode.Persistent);

        // Another session wrote /config, maybe through another server: sync before reading it, or a
        // lagging server 0 answers NoNode and GetData arms no watch (as ZooKeeper's own client does).
        await client.SyncAsync("/config");
        RecordingWatcher watcher = new();
        Assert.Equal("a", Text((await client.GetDataAsync("/config", watcher))!.Data));
        long session = client.SessionId;

        proxy.Pause();
        await states.WaitForAsync(SessionState.Disconnected, EventTimeout);
        await ns.Store.SetDataAsync("/config", Bytes("b"));
        Assert.False(watcher.TryNext(out _));
        proxy.Resume();

        // SetWatches carries the last zxid the client saw; the server fires what changed since.
        await states.WaitForAsync(SessionState.Connected, EventTimeout);
        Assert.Equal(new WatchEvent(WatchEventType.NodeDataChanged, "/config"), await watcher.NextAsync());
        Assert.Equal(session, client.SessionId);
    }

    [Fact]
    public async Task Requests_issued_while_disconnected_wait_for_the_reconnect()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(fixture);
        await using TcpProxy proxy = new(fixture.Ensemble.ClientPort(1));
        await using ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(ZooKeeperTestNamespace.Options(proxy.Address + ns.Chroot, TimeSpan.FromSeconds(10)), null, CancellationToken.None);
        var states = new StateRecorder(client);

        proxy.Pause();
        await states.WaitForAsync(SessionState.Disconnected, EventTimeout);
        Task<string> create = client.CreateAsync("/while-away", Bytes("x"), CreateMode.Ephemeral).AsTask();
        Task<NodeData?> read = client.GetDataAsync("/").AsTask();
        await Task.Delay(300);
        Assert.False(create.IsCompleted);
        proxy.Resume();

        Assert.Equal("/while-away", await create.WaitAsync(EventTimeout));
        Assert.NotNull(await read.WaitAsync(EventTimeout));
        await ns.Store.SyncAsync("/while-away");
        Assert.Equal(client.SessionId, (await ns.Store.ExistsAsync("/while-away"))!.Value.EphemeralOwner);
    }

    [Fact]
    public async Task A_session_cut_off_longer_than_its_timeout_expires()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(fixture);
        await using TcpProxy proxy = new(fixture.Ensemble.ClientPort(2));
        TimeSpan timeout = TimeSpan.FromSeconds(2);
        await using ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(ZooKeeperTestNamespace.Options(proxy.Address + ns.Chroot, timeout), null, CancellationToken.None);
        Assert.Equal(timeout, client.NegotiatedSessionTimeout);
        var states = new StateRecorder(client);
        TaskCompletionSource disposedInHandler = new(TaskCreationOptions.RunContinuationsAsynchronously);
        client.SessionStateChanged += (_, state) =>
        {
            if (state == SessionState.Expired)
            {
                // What an owner does on expiry: drop the client (here blocking, on the delivery loop).
                client.DisposeAsync().AsTask().GetAwaiter().GetResult();
                disposedInHandler.TrySetResult();
            }
        };
        await client.CreateAsync("/controller", default, CreateMode.Ephemeral);

        proxy.Pause();
        await states.WaitForAsync(SessionState.Disconnected, EventTimeout);

        // A request issued now waits at most the rest of the session timeout, then fails.
        long started = Environment.TickCount64;
        await AssertError(CoordinationError.ConnectionLoss, () => client.GetDataAsync("/controller").AsTask());
        Assert.InRange(Environment.TickCount64 - started, 0, 2 * (long)timeout.TotalMilliseconds);

        // The ensemble expires the silent session and deletes its ephemeral.
        await Polling.UntilAsync(async () => await ns.Store.ExistsAsync("/controller") is null, TimeSpan.FromSeconds(30), "the server expires the session");

        proxy.Resume();
        await states.WaitForAsync(SessionState.Expired, EventTimeout);
        await disposedInHandler.Task.WaitAsync(EventTimeout);
        Assert.Equal(SessionState.Expired, client.State);
        await AssertError(CoordinationError.SessionExpired, () => client.GetDataAsync("/").AsTask());
        await AssertError(CoordinationError.SessionExpired, () => client.CreateAsync("/x", default, CreateMode.Persistent).AsTask());
    }
}
