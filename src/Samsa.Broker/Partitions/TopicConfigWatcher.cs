using Microsoft.Extensions.Logging;
using Samsa.Broker.Configuration;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol.Messages;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Partitions;

/// <summary>
/// Keeps <see cref="TopicLogConfigs"/> and the open partition logs in step with the topic overrides
/// in the coordination store, as Kafka's config-change listener does: all overrides are loaded at
/// start (before the log dir is opened, so reopened logs get them), a topic's overrides are read
/// before its first partition log is created, and every /config/changes notification makes this
/// broker reload the named topic and swap the new <see cref="LogConfig"/> into its logs.
/// <para>
/// One loop (<see cref="_changes"/>) reads the notifications, so they are handled one at a time in
/// sequence order. Reloads may also come from request threads (AlterConfigs, LeaderAndIsr);
/// <see cref="TopicLogConfigs.Set"/> keeps the newest read.
/// </para>
/// </summary>
internal sealed partial class TopicConfigWatcher : IAsyncDisposable
{
    /// <summary>Kafka's changeExpirationMs: notifications older than this are removed by the brokers that read them.</summary>
    private static readonly TimeSpan NotificationExpiry = TimeSpan.FromMinutes(15);

    private readonly ICoordinationStore _store;
    private readonly TopicConfigStore _topicConfigs;
    private readonly TopicLogConfigs _configs;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ReloadOnWatchLoop _changes;
    private LogDirectory? _logs;
    private long _lastSequence = -1;

    public TopicConfigWatcher(ICoordinationStore store, TopicLogConfigs configs, TimeProvider time, ILogger logger)
    {
        _store = store;
        _topicConfigs = new TopicConfigStore(store);
        _configs = configs;
        _time = time;
        _logger = logger;

        // Also after a new session: reading the notifications again handles what changed meanwhile.
        _changes = new ReloadOnWatchLoop(store, ProcessNotificationsAsync, "config change notifications", time, logger);
    }

    /// <summary>Reads every topic's overrides into <see cref="TopicLogConfigs"/>. Call before opening the log dir.</summary>
    public async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        foreach (string topic in await _topicConfigs.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            TopicConfigStore.Overrides read = await _topicConfigs.ReadAsync(topic, cancellationToken).ConfigureAwait(false);
            _configs.Set(topic, read.Config, read.Mzxid);
        }
    }

    /// <summary>Starts applying changes to the logs of <paramref name="logs"/> and watching /config/changes.</summary>
    public async Task StartAsync(LogDirectory logs, CancellationToken cancellationToken)
    {
        _logs = logs;
        await ProcessNotificationsAsync(cancellationToken).ConfigureAwait(false);
        _changes.Start();
    }

    /// <summary>
    /// Reads the overrides of every topic in <paramref name="request"/> that has a partition this
    /// broker does not host yet (or hosts for an older topic of the same name): its log is about to
    /// be created and must start with the topic's config.
    /// </summary>
    public async ValueTask LoadForNewPartitionsAsync(LeaderAndIsrRequestData request, LocalPartitions partitions, CancellationToken cancellationToken)
    {
        foreach (LeaderAndIsrRequestData.LeaderAndIsrTopicState topic in request.TopicStates)
        {
            foreach (LeaderAndIsrRequestData.LeaderAndIsrPartitionState state in topic.PartitionStates)
            {
                Partition? existing = partitions.Get(topic.TopicName, state.PartitionIndex);
                if (existing is null || existing.TopicId != topic.TopicId)
                {
                    await ReloadTopicAsync(topic.TopicName, cancellationToken).ConfigureAwait(false);
                    break;
                }
            }
        }
    }

    /// <summary>Reads the topic's overrides from the store and applies them to its open logs.</summary>
    public async Task ReloadTopicAsync(string topic, CancellationToken cancellationToken)
    {
        TopicConfigStore.Overrides read = await _topicConfigs.ReadAsync(topic, cancellationToken).ConfigureAwait(false);
        if (read.Version < 0)
        {
            _configs.Remove(topic);
            return;
        }

        if (_configs.Set(topic, read.Config, read.Mzxid) is null || _logs is not { } logs)
        {
            return;
        }

        // The newest config, not the one just built: the broker defaults may have changed since.
        _configs.ApplyTo(logs, topic);

        LogTopicConfigApplied(_logger, topic);
    }

    /// <summary>Handles every notification newer than the last one handled, oldest first, and re-arms the watch.</summary>
    private async Task ProcessNotificationsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children = await _store.GetChildrenAsync(ZkPaths.ConfigChanges, _changes, cancellationToken).ConfigureAwait(false) ?? [];
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (string child in children)
        {
            long sequence = ConfigChangeZNode.SequenceOf(child);
            if (sequence <= _lastSequence)
            {
                continue;
            }

            string path = ZkPaths.ConfigChanges + "/" + child;
            NodeData? node = await _store.GetDataAsync(path, null, cancellationToken).ConfigureAwait(false);
            if (node is not null)
            {
                string? entity = ConfigChangeZNode.DecodeEntityPath(node.Data.Span);
                if (entity is not null && entity.StartsWith(ConfigChangeZNode.TopicsEntityPrefix, StringComparison.Ordinal))
                {
                    await ReloadTopicAsync(entity[ConfigChangeZNode.TopicsEntityPrefix.Length..], cancellationToken).ConfigureAwait(false);
                }

                if (now - node.Stat.Ctime > (long)NotificationExpiry.TotalMilliseconds)
                {
                    await DeleteIfPresentAsync(path, cancellationToken).ConfigureAwait(false);
                }
            }

            _lastSequence = sequence;
        }
    }

    private async Task DeleteIfPresentAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await _store.DeleteAsync(path, -1, cancellationToken).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.NoNode)
        {
            // Another broker purged it first.
        }
    }

    public ValueTask DisposeAsync() => _changes.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Processing override for entityPath: topics/{Topic}")]
    private static partial void LogTopicConfigApplied(ILogger logger, string topic);
}
