namespace Samsa.Broker.Configuration;

/// <summary>
/// This broker's config as it changes at run time (Kafka's <c>DynamicBrokerConfig</c>): the
/// static options from server.properties, overlaid with the cluster-wide dynamic defaults and then
/// with this broker's own dynamic configs, as last read from the coordination store. A dynamic key
/// replaces its whole synonym group below it (a dynamic log.retention.ms hides a static
/// log.retention.hours), as Kafka's <c>overrideProps</c> does. <see cref="Current"/> is what the
/// broker runs with; readers take it without a lock. Changes come from one writer at a time
/// (<see cref="Partitions.BrokerConfigWatcher"/>), and <see cref="IBrokerReconfigurable"/>
/// subscribers hear about each one.
/// </summary>
internal sealed class DynamicBrokerConfig
{
    private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>(StringComparer.Ordinal);

    private readonly Lock _lock = new();
    private BrokerConfigLayers _layers;
    private IBrokerReconfigurable[] _subscribers = [];

    /// <param name="staticOptions">The options loaded from server.properties (and --override), with the broker id resolved.</param>
    public DynamicBrokerConfig(BrokerOptions staticOptions)
    {
        ArgumentNullException.ThrowIfNull(staticOptions);
        Static = staticOptions;
        _layers = BrokerConfigLayers.StaticOnly(staticOptions);
    }

    /// <summary>The options from server.properties alone.</summary>
    public BrokerOptions Static { get; }

    /// <summary>The effective options: static, then dynamic defaults, then this broker's dynamic configs.</summary>
    public BrokerOptions Current => Volatile.Read(ref _layers).Options;

    /// <summary>The effective options with where each value comes from, for DescribeConfigs.</summary>
    public BrokerConfigLayers Layers => Volatile.Read(ref _layers);

    public int BrokerId => Static.BrokerId;

    /// <summary>Registers a part that applies changes while the broker runs.</summary>
    public void Subscribe(IBrokerReconfigurable subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscriber];
        }
    }

    /// <summary>
    /// The layers the broker would run with under these dynamic configs. Throws
    /// <see cref="ConfigException"/> naming the key when the values, together, are not a valid
    /// broker config (the same checks as at start-up).
    /// </summary>
    public BrokerConfigLayers Build(IReadOnlyDictionary<string, string> clusterDefaults, IReadOnlyDictionary<string, string> perBroker)
    {
        ArgumentNullException.ThrowIfNull(clusterDefaults);
        ArgumentNullException.ThrowIfNull(perBroker);
        if (clusterDefaults.Count == 0 && perBroker.Count == 0)
        {
            // Nothing dynamic: exactly the options the broker was started with.
            return BrokerConfigLayers.StaticOnly(Static);
        }

        var effective = new Dictionary<string, string>(Static.Originals, StringComparer.Ordinal);
        Overlay(effective, clusterDefaults);
        Overlay(effective, perBroker);
        BrokerOptions options = BrokerOptions.Load(effective, out _) with
        {
            // A generated broker.id (-1 in the file) stays the one resolved at start-up.
            BrokerId = Static.BrokerId,
            Originals = Static.Originals,
        };
        return new BrokerConfigLayers(options, perBroker, clusterDefaults, effective);
    }

    /// <summary>
    /// Applies dynamic configs read from the store (null: that layer is unchanged). Entries a
    /// broker may not take dynamically or whose value does not parse are left out and reported in
    /// <paramref name="ignored"/>, as Kafka ignores them; if the rest still do not make a valid
    /// config, the whole change is ignored. Returns the previous options when the effective options
    /// changed (subscribers have been told), else null.
    /// </summary>
    public BrokerOptions? Apply(IReadOnlyDictionary<string, string>? clusterDefaults, IReadOnlyDictionary<string, string>? perBroker, List<string> ignored)
    {
        ArgumentNullException.ThrowIfNull(ignored);
        BrokerConfigLayers previous;
        BrokerConfigLayers next;
        IBrokerReconfigurable[] subscribers;
        lock (_lock)
        {
            previous = _layers;
            IReadOnlyDictionary<string, string> defaults = clusterDefaults is null ? previous.ClusterDefaults : Usable(clusterDefaults, ignored);
            IReadOnlyDictionary<string, string> own = perBroker is null ? previous.PerBroker : Usable(perBroker, ignored);
            try
            {
                next = Build(defaults, own);
            }
            catch (ConfigException e)
            {
                ignored.Add(e.Message);
                return null;
            }

            Volatile.Write(ref _layers, next);
            subscribers = _subscribers;
        }

        if (SameContent(previous.Effective, next.Effective))
        {
            return null;
        }

        foreach (IBrokerReconfigurable subscriber in subscribers)
        {
            subscriber.Reconfigure(previous.Options, next.Options);
        }

        return previous.Options;
    }

    /// <summary>Whether two config maps hold the same keys with equal values.</summary>
    internal static bool SameContent<TValue>(IReadOnlyDictionary<string, TValue> a, IReadOnlyDictionary<string, TValue> b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        foreach (KeyValuePair<string, TValue> pair in a)
        {
            if (!b.TryGetValue(pair.Key, out TValue? other) || !EqualityComparer<TValue>.Default.Equals(other, pair.Value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Kafka's <c>overrideProps</c>: each key replaces its synonyms, so the higher layer wins whatever the unit.</summary>
    private static void Overlay(Dictionary<string, string> into, IReadOnlyDictionary<string, string> layer)
    {
        foreach (KeyValuePair<string, string> pair in layer)
        {
            foreach (string synonym in DynamicBrokerConfigKeys.Synonyms(pair.Key))
            {
                into.Remove(synonym);
            }

            into[pair.Key] = pair.Value;
        }
    }

    /// <summary>
    /// The stored entries a broker may apply (Kafka's <c>fromPersistentProps</c>): dynamic keys
    /// with values that parse; the rest are named in <paramref name="ignored"/>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Usable(IReadOnlyDictionary<string, string> stored, List<string> ignored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(ignored);
        if (stored.Count == 0)
        {
            return Empty;
        }

        var usable = new Dictionary<string, string>(stored.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> pair in stored)
        {
            if (!DynamicBrokerConfigKeys.IsDynamic(pair.Key) || !BrokerConfigDefinition.TryGetKey(pair.Key, out ConfigKey key))
            {
                ignored.Add($"Non-dynamic config will be ignored: {pair.Key}");
            }
            else if (!key.TryParse(pair.Value, out _, out string? error))
            {
                ignored.Add(error);
            }
            else
            {
                usable[pair.Key] = pair.Value;
            }
        }

        return usable;
    }
}
