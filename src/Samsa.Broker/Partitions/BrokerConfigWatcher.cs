using Microsoft.Extensions.Logging;
using Samsa.Broker.Configuration;
using Samsa.Coordination;
using Samsa.Storage;

namespace Samsa.Broker.Partitions;

/// <summary>
/// Keeps <see cref="DynamicBrokerConfig"/> in step with this broker's dynamic configs and the
/// cluster-wide defaults in the coordination store (/config/brokers/&lt;id&gt; and
/// /config/brokers/&lt;default&gt;), as Kafka's BrokerConfigHandler does, and applies each change:
/// new topic defaults reach every log without a topic override at once. It watches the two nodes
/// themselves (an exists-watch fires on create, change and delete), which sees every change the
/// /config/changes notifications announce.
/// <para>
/// One loop (<see cref="_changes"/>) re-reads on every watch event. AlterConfigs also reloads
/// directly so its change is in effect when it answers; <see cref="_reload"/> serializes the two,
/// so a read is always applied before a newer one.
/// </para>
/// </summary>
internal sealed partial class BrokerConfigWatcher : IAsyncDisposable
{
    private readonly ICoordinationStore _store;
    private readonly BrokerConfigStore _brokerConfigs;
    private readonly DynamicBrokerConfig _config;
    private readonly ILogger _logger;
    private readonly string _ownEntity;
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly ReloadOnWatchLoop _changes;
    private TopicLogConfigs? _topicConfigs;
    private LogDirectory? _logs;

    public BrokerConfigWatcher(ICoordinationStore store, DynamicBrokerConfig config, TimeProvider time, ILogger logger)
    {
        _store = store;
        _brokerConfigs = new BrokerConfigStore(store);
        _config = config;
        _logger = logger;
        _ownEntity = BrokerConfigStore.BrokerEntity(config.BrokerId);
        _changes = new ReloadOnWatchLoop(store, ReloadAsync, "dynamic broker configs", time, logger);
    }

    /// <summary>
    /// Reads the dynamic configs into <see cref="DynamicBrokerConfig"/> and sets the watches. Call at
    /// start-up before anything is built from <see cref="DynamicBrokerConfig.Current"/>.
    /// </summary>
    public Task LoadAsync(CancellationToken cancellationToken) => ReloadAsync(cancellationToken);

    /// <summary>Starts applying changes to <paramref name="topicConfigs"/> and the logs of <paramref name="logs"/>.</summary>
    public void Start(TopicLogConfigs topicConfigs, LogDirectory logs)
    {
        _topicConfigs = topicConfigs;
        _logs = logs;
        _changes.Start();

        // Anything that changed between LoadAsync and now.
        _changes.Signal();
    }

    /// <summary>Reads both entities again (re-arming the watches) and applies what changed.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reload.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IReadOnlyDictionary<string, string> defaults = await ReadWatchedAsync(BrokerConfigStore.DefaultEntity, cancellationToken).ConfigureAwait(false);
            IReadOnlyDictionary<string, string> own = await ReadWatchedAsync(_ownEntity, cancellationToken).ConfigureAwait(false);
            var ignored = new List<string>();
            BrokerOptions? previous = _config.Apply(defaults, own, ignored);
            foreach (string problem in ignored)
            {
                LogConfigIgnored(_logger, _config.BrokerId, problem);
            }

            if (previous is null)
            {
                return;
            }

            LogBrokerConfigApplied(_logger, _config.BrokerId);
            if (_topicConfigs is { } topicConfigs && topicConfigs.UpdateDefaults(_config.Current) && _logs is { } logs)
            {
                topicConfigs.ApplyTo(logs, topic: null);
            }
        }
        finally
        {
            _reload.Release();
        }
    }

    private async Task<IReadOnlyDictionary<string, string>> ReadWatchedAsync(string entity, CancellationToken cancellationToken)
    {
        // The exists-watch is set whether or not the node is there, and fires on create, change and delete.
        await _store.ExistsAsync(BrokerConfigStore.PathOf(entity), _changes, cancellationToken).ConfigureAwait(false);
        return (await _brokerConfigs.ReadAsync(entity, cancellationToken).ConfigureAwait(false)).Config;
    }

    public async ValueTask DisposeAsync()
    {
        await _changes.DisposeAsync().ConfigureAwait(false);
        _reload.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[DynamicConfigPublisher brokerId={BrokerId}] Updated dynamic broker config (kafka.server.DynamicBrokerConfig)")]
    private static partial void LogBrokerConfigApplied(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Error, Message = "[BrokerConfigHandler brokerId={BrokerId}] Dynamic broker config ignored: {Problem}")]
    private static partial void LogConfigIgnored(ILogger logger, int brokerId, string problem);
}
