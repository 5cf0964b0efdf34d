using System.Threading.Channels;
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
/// Watch events only signal <see cref="_signals"/>; one loop (<see cref="RunAsync"/>), owned by this
/// object and ended by <see cref="DisposeAsync"/>, re-reads. AlterConfigs also reloads directly so
/// its change is in effect when it answers; <see cref="_reload"/> serializes the two, so a read
/// is always applied before a newer one.
/// </para>
/// </summary>
internal sealed partial class BrokerConfigWatcher : IWatcher, IAsyncDisposable
{
    private readonly ICoordinationStore _store;
    private readonly BrokerConfigStore _brokerConfigs;
    private readonly DynamicBrokerConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _ownEntity;
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly SemaphoreSlim _reload = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private TopicLogConfigs? _topicConfigs;
    private LogDirectory? _logs;
    private Task? _loop;

    public BrokerConfigWatcher(ICoordinationStore store, DynamicBrokerConfig config, TimeProvider time, ILogger logger)
    {
        _store = store;
        _brokerConfigs = new BrokerConfigStore(store);
        _config = config;
        _time = time;
        _logger = logger;
        _ownEntity = BrokerConfigStore.BrokerEntity(config.BrokerId);

        // A new session (after an expiry) has none of the old one's watches: read again.
        _store.SessionStateChanged += OnSessionStateChanged;
    }

    private void OnSessionStateChanged(object? sender, SessionState state)
    {
        if (state == SessionState.Connected)
        {
            _signals.Writer.TryWrite(true);
        }
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
        _loop = RunAsync(_stopping.Token);

        // Anything that changed between LoadAsync and now.
        _signals.Writer.TryWrite(true);
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
        await _store.ExistsAsync(BrokerConfigStore.PathOf(entity), this, cancellationToken).ConfigureAwait(false);
        return (await _brokerConfigs.ReadAsync(entity, cancellationToken).ConfigureAwait(false)).Config;
    }

    void IWatcher.Process(WatchEvent e) => _signals.Writer.TryWrite(true);

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            while (await _signals.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                _signals.Reader.TryRead(out _);
                try
                {
                    await ReloadAsync(stopping).ConfigureAwait(false);
                }
                catch (CoordinationException e)
                {
                    // The watches are set again on the next successful read; retry once the store answers.
                    LogReadFailed(_logger, e);
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, stopping).ConfigureAwait(false);
                    _signals.Writer.TryWrite(true);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _store.SessionStateChanged -= OnSessionStateChanged;
        _signals.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stopping.Dispose();
        _reload.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[DynamicConfigPublisher brokerId={BrokerId}] Updated dynamic broker config (kafka.server.DynamicBrokerConfig)")]
    private static partial void LogBrokerConfigApplied(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Error, Message = "[BrokerConfigHandler brokerId={BrokerId}] Dynamic broker config ignored: {Problem}")]
    private static partial void LogConfigIgnored(ILogger logger, int brokerId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading dynamic broker configs failed; retrying.")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
