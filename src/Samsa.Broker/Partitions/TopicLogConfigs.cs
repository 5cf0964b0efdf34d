using System.Collections.Concurrent;
using Samsa.Broker.Configuration;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The log config each topic runs with: the broker's <c>log.*</c> defaults (server.properties and
/// dynamic broker configs, see <see cref="UpdateDefaults"/>),
/// overlaid with the topic's overrides from /config/topics as <see cref="TopicConfigWatcher"/>
/// last read them, and the produce policy (<see cref="TopicProducePolicy"/>) built from the same
/// overrides. Read by log creation and produce (any thread); written by the watcher, so a changed
/// topic config applies to the next request. Each entry remembers the znode's mzxid so a slow,
/// older read never replaces a newer one.
/// </summary>
internal sealed class TopicLogConfigs
{
    private static readonly IReadOnlyDictionary<string, string> NoOverrides = new Dictionary<string, string>(StringComparer.Ordinal);

    // Readers (every produce request) look up without a lock; _writeLock only orders writers so
    // the mzxid check and the replacement are one step.
    private readonly ConcurrentDictionary<string, Entry> _topics = new(StringComparer.Ordinal);
    private readonly Lock _writeLock = new();

    // Orders passes that push configs into open logs, so the last pass applies the newest configs.
    private readonly Lock _applyLock = new();

    // Replaced as a whole when a dynamic broker config changes the defaults.
    private BrokerDefaults _brokerDefaults;

    public TopicLogConfigs(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _brokerDefaults = BrokerDefaults.From(options);
    }

    public LogConfig Defaults => Volatile.Read(ref _brokerDefaults).Config;

    /// <summary>The topic's log config: defaults plus its overrides (defaults for a topic not known yet).</summary>
    public LogConfig For(string topic) =>
        _topics.GetValueOrDefault(topic)?.Config ?? Defaults;

    /// <summary>The topic's produce policy: broker defaults plus its overrides.</summary>
    public TopicProducePolicy ProducePolicyFor(string topic) =>
        _topics.GetValueOrDefault(topic)?.Policy ?? Volatile.Read(ref _brokerDefaults).Policy;

    /// <summary>The topic's overrides as last read.</summary>
    public IReadOnlyDictionary<string, string> OverridesOf(string topic) =>
        _topics.GetValueOrDefault(topic)?.Overrides ?? NoOverrides;

    /// <summary>
    /// Records the topic's overrides read at <paramref name="mzxid"/> and returns the resulting log
    /// config, or null when a newer read is already recorded.
    /// </summary>
    public LogConfig? Set(string topic, IReadOnlyDictionary<string, string> overrides, long mzxid)
    {
        lock (_writeLock)
        {
            if (_topics.TryGetValue(topic, out Entry? current) && current.Mzxid > mzxid)
            {
                return null;
            }

            // Built under the lock, so a concurrent change of the broker defaults is never lost.
            BrokerDefaults defaults = _brokerDefaults;
            LogConfig config = TopicConfigDefinition.BuildLogConfig(defaults.Config, overrides);
            _topics[topic] = new Entry(overrides, config, defaults.Policy.WithOverrides(overrides), mzxid, FromOverrides: true);
            return config;
        }
    }

    /// <summary>
    /// Sets a topic's log config directly, for callers that built it themselves (tests that wire a
    /// broker without the coordination store). The next read from the store replaces it.
    /// </summary>
    public void Set(string topic, LogConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        lock (_writeLock)
        {
            _topics[topic] = new Entry(NoOverrides, config, _brokerDefaults.Policy, 0, FromOverrides: false);
        }
    }

    /// <summary>Forgets a topic whose config node is gone (deleted topic): it falls back to the defaults.</summary>
    public void Remove(string topic)
    {
        lock (_writeLock)
        {
            _topics.TryRemove(topic, out _);
        }
    }

    /// <summary>
    /// New broker defaults (a dynamic broker config changed): every topic's config is rebuilt from
    /// its overrides over them. Returns false when the defaults did not change.
    /// </summary>
    public bool UpdateDefaults(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        BrokerDefaults next = BrokerDefaults.From(options);
        lock (_writeLock)
        {
            if (next == _brokerDefaults)
            {
                return false;
            }

            Volatile.Write(ref _brokerDefaults, next);
            foreach (KeyValuePair<string, Entry> pair in _topics)
            {
                Entry entry = pair.Value;
                if (entry.FromOverrides)
                {
                    _topics[pair.Key] = entry with
                    {
                        Config = TopicConfigDefinition.BuildLogConfig(next.Config, entry.Overrides),
                        Policy = next.Policy.WithOverrides(entry.Overrides),
                    };
                }
            }

            return true;
        }
    }

    /// <summary>
    /// Gives the open logs of <paramref name="topic"/> (null: of every topic) the config they should
    /// run with now. Passes are serialized and each reads the newest configs, so a slow pass never
    /// leaves a log with an older config than a pass that finished before it.
    /// </summary>
    /// <returns>How many logs got a new config.</returns>
    public int ApplyTo(LogDirectory logs, string? topic)
    {
        ArgumentNullException.ThrowIfNull(logs);
        int updated = 0;
        lock (_applyLock)
        {
            foreach (PartitionLog log in logs.Logs)
            {
                string name = log.TopicPartition.Topic;
                if (topic is not null && name != topic)
                {
                    continue;
                }

                LogConfig config = For(name);
                if (log.Config != config)
                {
                    log.UpdateConfig(config);
                    updated++;
                }
            }
        }

        return updated;
    }

    /// <param name="FromOverrides">False for a config set directly (<see cref="Set(string, LogConfig)"/>): new broker defaults leave it alone.</param>
    private sealed record Entry(IReadOnlyDictionary<string, string> Overrides, LogConfig Config, TopicProducePolicy Policy, long Mzxid, bool FromOverrides);

    /// <summary>What a topic without overrides gets: the log config and produce policy of the broker's effective options.</summary>
    private sealed record BrokerDefaults(LogConfig Config, TopicProducePolicy Policy)
    {
        public static BrokerDefaults From(BrokerOptions options)
        {
            LogConfig config = options.LogDefaults;
            config.Validate();
            return new BrokerDefaults(config, TopicProducePolicy.FromBroker(options));
        }
    }
}
