using Samsa.Broker.Configuration;
using Samsa.Storage;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The log config each topic runs with: the broker's <c>log.*</c> defaults (server.properties),
/// overlaid with the topic's own overrides as they are known. Overrides are set when a topic's
/// config is read from the coordination store.
/// </summary>
internal sealed class TopicLogConfigs
{
    private readonly LogConfig _defaults;
    private readonly Dictionary<string, LogConfig> _overrides = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public TopicLogConfigs(BrokerOptions options)
    {
        _defaults = options.LogDefaults;
        _defaults.Validate();
    }

    public LogConfig Defaults => _defaults;

    public LogConfig For(string topic)
    {
        lock (_lock)
        {
            return _overrides.GetValueOrDefault(topic) ?? _defaults;
        }
    }

    public void Set(string topic, LogConfig config)
    {
        lock (_lock)
        {
            _overrides[topic] = config;
        }
    }
}
