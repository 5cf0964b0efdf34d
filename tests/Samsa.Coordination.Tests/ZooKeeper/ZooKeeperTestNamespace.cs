using Samsa.Coordination.ZooKeeper;
using Samsa.Testing;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>
/// A test's own corner of a shared ensemble: a fresh node "/test-&lt;guid&gt;" used as the chroot of
/// <see cref="Store"/> and of every session opened with <see cref="OpenSessionAsync"/>; <see cref="Root"/>
/// sees the whole tree (to check what the chroot did on the server). Disposing closes every client.
/// </summary>
internal sealed class ZooKeeperTestNamespace : IAsyncDisposable
{
    private readonly List<ZooKeeperClient> _clients = [];

    private ZooKeeperTestNamespace(string connectString, string chroot, ZooKeeperClient root)
    {
        EnsembleConnectString = connectString;
        Chroot = chroot;
        Root = root;
    }

    public string EnsembleConnectString { get; }

    /// <summary>The server path all of this test's nodes live under.</summary>
    public string Chroot { get; }

    public ZooKeeperClient Root { get; }

    public ZooKeeperClient Store { get; private set; } = null!;

    public static async Task<ZooKeeperTestNamespace> CreateAsync(ZooKeeperEnsembleFixture fixture, TimeSpan? sessionTimeout = null)
    {
        string connectString = fixture.ConnectString;
        ZooKeeperClient root = await ZooKeeperClient.ConnectAsync(Options(connectString), null, CancellationToken.None);
        string chroot = "/test-" + Guid.NewGuid().ToString("N");
        await root.CreateAsync(chroot, default, CreateMode.Persistent);
        var ns = new ZooKeeperTestNamespace(connectString, chroot, root);
        ns.Store = await ns.OpenSessionAsync(sessionTimeout);
        return ns;
    }

    public static ZooKeeperClientOptions Options(string connectString, TimeSpan? sessionTimeout = null) => new()
    {
        ConnectString = connectString,
        SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
        ConnectionTimeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>Another session in the same chroot (another broker, say).</summary>
    public async Task<ZooKeeperClient> OpenSessionAsync(TimeSpan? sessionTimeout = null)
    {
        ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(Options(EnsembleConnectString + Chroot, sessionTimeout), null, CancellationToken.None);
        lock (_clients)
        {
            _clients.Add(client);
        }

        // Its server may not have applied the chroot's creation (or the test's last writes) yet.
        await client.SyncAsync();

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        ZooKeeperClient[] clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        foreach (ZooKeeperClient client in clients)
        {
            await client.DisposeAsync();
        }

        await Root.DisposeAsync();
    }
}
