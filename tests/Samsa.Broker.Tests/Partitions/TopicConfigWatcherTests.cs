using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.Partitions;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Coordination.Embedded;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Partitions;

/// <summary>Topic overrides reach a broker's logs: at start, and live through /config/changes notifications.</summary>
public sealed class TopicConfigWatcherTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private TempDirectory _dir = null!;
    private EmbeddedCoordinationStore _store = null!;

    public async Task InitializeAsync()
    {
        _dir = new TempDirectory("config-watcher");
        _store = EmbeddedCoordinationStore.Open(_dir.Combine(KafkaBroker.MetadataDirectoryName), TimeProvider.System);
        foreach (string path in ZkPaths.Persistent)
        {
            await _store.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
        }
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    // xunit runs this after DisposeAsync: the store's files go once it is closed.
    public void Dispose() => _dir.Dispose();

    private static BrokerOptions Options(string logDir) =>
        BrokerOptions.Load(new Dictionary<string, string> { ["broker.id"] = "0", ["log.dirs"] = logDir }, out _);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    [Fact]
    public async Task Overrides_are_loaded_at_start_and_changes_reach_open_logs()
    {
        var topics = new TopicConfigStore(_store);
        Assert.True(await topics.TryReplaceAsync("events", new Dictionary<string, string> { ["retention.ms"] = "1000" }, -1, CancellationToken.None));

        string logDir = _dir.Combine("logs");
        var configs = new TopicLogConfigs(Options(logDir));
        await using var watcher = new TopicConfigWatcher(_store, configs, TimeProvider.System, NullLogger.Instance);
        await watcher.LoadAllAsync(CancellationToken.None);
        Assert.Equal(1000, configs.For("events").RetentionMs);
        Assert.Equal(configs.Defaults, configs.For("other"));

        using LogDirectory logs = LogDirectory.Open(logDir, TimeProvider.System, configs.For);
        PartitionLog log = logs.GetOrCreateLog(new TopicPartition("events", 0), Uuid.NewRandom(), configs.For("events"));
        PartitionLog other = logs.GetOrCreateLog(new TopicPartition("other", 0), Uuid.NewRandom(), configs.For("other"));
        await watcher.StartAsync(logs, CancellationToken.None);

        // Another broker (or tool) replaces the overrides; the notification makes this one reload.
        TopicConfigStore.Overrides current = await topics.ReadAsync("events", CancellationToken.None);
        Assert.True(await topics.TryReplaceAsync("events", new Dictionary<string, string> { ["max.message.bytes"] = "100" }, current.Version, CancellationToken.None));
        await WaitUntilAsync(() => log.Config.MaxMessageBytes == 100);
        Assert.Equal(configs.Defaults.RetentionMs, log.Config.RetentionMs);
        Assert.Equal(100, configs.For("events").MaxMessageBytes);
        Assert.Equal("100", configs.OverridesOf("events")["max.message.bytes"]);
        Assert.Same(configs.Defaults, other.Config);
    }

    [Fact]
    public async Task A_stale_write_is_refused_so_the_caller_rereads()
    {
        var topics = new TopicConfigStore(_store);
        Assert.True(await topics.TryReplaceAsync("t", new Dictionary<string, string> { ["retention.ms"] = "1" }, -1, CancellationToken.None));
        Assert.False(await topics.TryReplaceAsync("t", new Dictionary<string, string>(), -1, CancellationToken.None));
        TopicConfigStore.Overrides read = await topics.ReadAsync("t", CancellationToken.None);
        Assert.True(await topics.TryReplaceAsync("t", new Dictionary<string, string> { ["retention.ms"] = "2" }, read.Version, CancellationToken.None));
        Assert.False(await topics.TryReplaceAsync("t", new Dictionary<string, string> { ["retention.ms"] = "3" }, read.Version, CancellationToken.None));
        Assert.Equal("2", (await topics.ReadAsync("t", CancellationToken.None)).Config["retention.ms"]);

        // Each successful write left one change notification.
        IReadOnlyList<string>? changes = await _store.GetChildrenAsync(ZkPaths.ConfigChanges);
        Assert.Equal(2, changes!.Count);
        Assert.All(changes, c => Assert.StartsWith(ConfigChangeZNode.NamePrefix, c, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_older_read_never_replaces_a_newer_one()
    {
        var configs = new TopicLogConfigs(Options(_dir.Combine("logs")));
        Assert.NotNull(configs.Set("t", new Dictionary<string, string> { ["retention.ms"] = "5" }, mzxid: 10));
        Assert.Null(configs.Set("t", new Dictionary<string, string> { ["retention.ms"] = "4" }, mzxid: 9));
        Assert.Equal(5, configs.For("t").RetentionMs);
        configs.Remove("t");
        Assert.Same(configs.Defaults, configs.For("t"));
    }
}
