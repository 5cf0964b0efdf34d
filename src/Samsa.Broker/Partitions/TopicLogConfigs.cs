using System.Collections.Concurrent;
using Samsa.Broker.Configuration;
using Samsa.Storage;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The log config each topic runs with: the broker's <c>log.*</c> defaults (server.properties),
/// overlaid with the topic's overrides from /config/topics as <see cref="TopicConfigWatcher"/>
/// last read them, and the produce policy (<see cref="TopicProducePolicy"/>) built from the same
/// overrides. Read by log creation and produce (any thread); written by the watcher, so a changed
/// topic config applies to the next request. Each entry remembers the znode's mzxid so a slow,
/// older read never replaces a newer one.
/// </summary>
internal sealed class TopicLogConfigs
{
    private static readonly IReadOnlyDictionary<string, string> NoOverrides = new Dictionary<string, string>(StringComparer.Ordinal);

    private readonly LogConfig _defaults;
    private readonly TopicProducePolicy _defaultPolicy;
    // Readers (every produce request) look up without a lock; _writeLock only orders writers so
    // the mzxid check and the replacement are one step.
    private readonly ConcurrentDictionary<string, Entry> _topics = new(StringComparer.Ordinal);
    private readonly Lock _writeLock = new();

    public TopicLogConfigs(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _defaults = options.LogDefaults;
        _defaults.Validate();
        _defaultPolicy = TopicProducePolicy.FromBroker(options);
    }

    public LogConfig Defaults => _defaults;

    /// <summary>The topic's log config: defaults plus its overrides (defaults for a topic not known yet).</summary>
    public LogConfig For(string topic) =>
        _topics.GetValueOrDefault(topic)?.Config ?? _defaults;

    /// <summary>The topic's produce policy: broker defaults plus its overrides.</summary>
    public TopicProducePolicy ProducePolicyFor(string topic) =>
        _topics.GetValueOrDefault(topic)?.Policy ?? _defaultPolicy;

    /// <summary>The topic's overrides as last read.</summary>
    public IReadOnlyDictionary<string, string> OverridesOf(string topic) =>
        _topics.GetValueOrDefault(topic)?.Overrides ?? NoOverrides;

    /// <summary>
    /// Records the topic's overrides read at <paramref name="mzxid"/> and returns the resulting log
    /// config, or null when a newer read is already recorded.
    /// </summary>
    public LogConfig? Set(string topic, IReadOnlyDictionary<string, string> overrides, long mzxid)
    {
        LogConfig config = TopicConfigDefinition.BuildLogConfig(_defaults, overrides);
        TopicProducePolicy policy = _defaultPolicy.WithOverrides(overrides);
        lock (_writeLock)
        {
            if (_topics.TryGetValue(topic, out Entry? current) && current.Mzxid > mzxid)
            {
                return null;
            }

            _topics[topic] = new Entry(overrides, config, policy, mzxid);
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
            _topics[topic] = new Entry(NoOverrides, config, _defaultPolicy, 0);
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

    private sealed record Entry(IReadOnlyDictionary<string, string> Overrides, LogConfig Config, TopicProducePolicy Policy, long Mzxid);
}
