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

/// <summary>New dynamic broker defaults reach the open logs of topics that do not override them, without a restart.</summary>
public sealed class DynamicBrokerConfigWatcherTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private TempDirectory _dir = null!;
    private EmbeddedCoordinationStore _store = null!;

    public async Task InitializeAsync()
    {
        _dir = new TempDirectory("broker-config-watcher");
        _store = EmbeddedCoordinationStore.Open(_dir.Combine(KafkaBroker.MetadataDirectoryName), TimeProvider.System);
        foreach (string path in ZkPaths.Persistent)
        {
            await _store.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
        }
    }

    public async Task DisposeAsync() => await _store.DisposeAsync();

    // xunit runs this after DisposeAsync: the store's files go once it is closed.
    public void Dispose() => _dir.Dispose();

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    [Fact]
    public async Task A_changed_default_reaches_open_logs_without_their_own_override()
    {
        string logDir = _dir.Combine("logs");
        BrokerOptions options = BrokerOptions.Load(new Dictionary<string, string> { ["broker.id"] = "0", ["log.dirs"] = logDir, ["log.retention.hours"] = "24" }, out _);
        var brokerConfigs = new BrokerConfigStore(_store);

        // Stored before start: the broker starts with it, over server.properties.
        Assert.True(await brokerConfigs.TryReplaceAsync("0", new Dictionary<string, string> { ["message.max.bytes"] = "5000" }, -1, CancellationToken.None));

        var dynamicConfig = new DynamicBrokerConfig(options);
        await using var watcher = new BrokerConfigWatcher(_store, dynamicConfig, TimeProvider.System, NullLogger.Instance);
        await watcher.LoadAsync(CancellationToken.None);
        Assert.Equal(5000, dynamicConfig.Current.MessageMaxBytes);

        var configs = new TopicLogConfigs(dynamicConfig.Current);
        configs.Set("kept", new Dictionary<string, string> { ["retention.ms"] = "1000" }, mzxid: 1);
        configs.Set("plain", new Dictionary<string, string>(), mzxid: 1);
        using LogDirectory logs = LogDirectory.Open(logDir, TimeProvider.System, configs.For);
        PartitionLog kept = logs.GetOrCreateLog(new TopicPartition("kept", 0), Uuid.NewRandom(), configs.For("kept"));
        PartitionLog plain = logs.GetOrCreateLog(new TopicPartition("plain", 0), Uuid.NewRandom(), configs.For("plain"));
        PartitionLog unknown = logs.GetOrCreateLog(new TopicPartition("no-config-node", 0), Uuid.NewRandom(), configs.For("no-config-node"));
        Assert.Equal(5000, plain.Config.MaxMessageBytes);
        watcher.Start(configs, logs);

        // Another broker (or tool) sets a cluster-wide default; this broker's watch picks it up.
        Assert.True(await brokerConfigs.TryReplaceAsync(BrokerConfigStore.DefaultEntity, new Dictionary<string, string> { ["log.retention.ms"] = "60000", ["compression.type"] = "gzip" }, -1, CancellationToken.None));
        // The watcher applies the new defaults log by log: wait for both logs that take them.
        await WaitUntilAsync(() => plain.Config.RetentionMs == 60000 && unknown.Config.RetentionMs == 60000);
        Assert.Equal(1000, kept.Config.RetentionMs);
        Assert.Equal(5000, kept.Config.MaxMessageBytes);
        Assert.Equal(BrokerCompressionType.Gzip, configs.ProducePolicyFor("plain").CompressionType);
        Assert.Equal(60000, configs.Defaults.RetentionMs);

        // A topic override read later is built over the new defaults.
        configs.Set("kept", new Dictionary<string, string> { ["segment.bytes"] = "1048576" }, mzxid: 2);
        configs.ApplyTo(logs, "kept");
        Assert.Equal(60000, kept.Config.RetentionMs);
        Assert.Equal(1048576, kept.Config.SegmentBytes);

        // Deleting the per-broker value falls back to server.properties.
        BrokerConfigStore.Entry own = await brokerConfigs.ReadAsync("0", CancellationToken.None);
        Assert.True(await brokerConfigs.TryReplaceAsync("0", new Dictionary<string, string>(), own.Version, CancellationToken.None));
        await WaitUntilAsync(() => plain.Config.MaxMessageBytes == 1048588);
    }
}
