namespace Samsa.Broker.Configuration;

/// <summary>
/// Describes configs as Kafka's DescribeConfigs does (<c>ConfigHelper</c> in 3.x): each key's
/// effective value, its source and its synonyms in precedence order. A broker key's synonyms are
/// its group (log.retention.ms, .minutes, .hours) as set in this broker's dynamic configs
/// (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic defaults (DYNAMIC_DEFAULT_BROKER_CONFIG),
/// server.properties (STATIC_BROKER_CONFIG) and Kafka's defaults (DEFAULT_CONFIG), starting at the
/// key itself. A topic key's synonyms are its override (DYNAMIC_TOPIC_CONFIG), then those of its
/// main broker key; so <c>retention.ms</c> under <c>log.retention.hours=168</c> reports
/// DEFAULT_CONFIG with no synonyms, as in Kafka, and under a dynamic default
/// <c>log.retention.ms</c> it reports DYNAMIC_DEFAULT_BROKER_CONFIG.
/// </summary>
internal static class EffectiveConfig
{
    /// <summary>Every topic key of a topic with <paramref name="overrides"/> on a broker started with <paramref name="options"/> and no dynamic configs.</summary>
    public static List<ConfigEntry> ForTopic(BrokerOptions options, IReadOnlyDictionary<string, string> overrides) =>
        ForTopic(BrokerConfigLayers.StaticOnly(options), overrides);

    /// <summary>Every topic key of a topic with <paramref name="overrides"/> on a broker whose config is <paramref name="layers"/>.</summary>
    public static List<ConfigEntry> ForTopic(BrokerConfigLayers layers, IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(overrides);
        var entries = new List<ConfigEntry>(TopicConfigDefinition.Keys.Count);
        foreach (TopicConfigKey key in TopicConfigDefinition.Keys)
        {
            var synonyms = new List<ConfigSynonym>();
            string value;
            if (overrides.TryGetValue(key.Name, out string? text) && text is not null && key.Key.TryParse(text, out object? parsed, out _))
            {
                value = TopicConfigDefinition.Format(parsed);
                synonyms.Add(new ConfigSynonym(key.Name, value, ConfigSource.DynamicTopicConfig));
            }
            else
            {
                value = TopicConfigDefinition.Format(key.BrokerDefault(layers.Options));
            }

            if (key.BrokerSynonyms.Count > 0)
            {
                AddBrokerSynonyms(layers, key.BrokerSynonyms, key.BrokerSynonyms[0], perBroker: true, synonyms);
            }

            entries.Add(new ConfigEntry(
                key.Name,
                value,
                synonyms.Count == 0 ? ConfigSource.DefaultConfig : synonyms[0].Source,
                ReadOnly: false,
                Sensitive: false,
                key.Key.Type,
                key.Key.Documentation,
                synonyms));
        }

        return entries;
    }

    /// <summary>Every broker key of a broker started with <paramref name="options"/> and no dynamic configs.</summary>
    public static List<ConfigEntry> ForBroker(BrokerOptions options) => ForBroker(BrokerConfigLayers.StaticOnly(options));

    /// <summary>
    /// Every broker key of this broker (resource "&lt;id&gt;"): the effective value, from the
    /// highest layer that sets it, else Kafka's default. A key is read-only unless a key of its
    /// synonym group may change dynamically (Kafka's rule).
    /// </summary>
    public static List<ConfigEntry> ForBroker(BrokerConfigLayers layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var entries = new List<ConfigEntry>(BrokerConfigDefinition.Keys.Count);
        foreach (ConfigKey key in BrokerConfigDefinition.Keys)
        {
            bool sensitive = key.Type == ConfigType.Password;
            string? value = layers.Effective.TryGetValue(key.Name, out string? text) ? text.Trim() : key.DefaultValue;
            var synonyms = new List<ConfigSynonym>();
            AddBrokerSynonyms(layers, DynamicBrokerConfigKeys.Synonyms(key.Name), key.Name, perBroker: true, synonyms);
            entries.Add(new ConfigEntry(
                key.Name,
                sensitive ? null : value,
                synonyms.Count == 0 ? ConfigSource.DefaultConfig : synonyms[0].Source,
                ReadOnly: !DynamicBrokerConfigKeys.AnySynonymDynamic(key.Name),
                sensitive,
                key.Type,
                key.Documentation,
                synonyms));
        }

        return entries;
    }

    /// <summary>
    /// The cluster-wide dynamic defaults (resource ""): only the keys set there, as Kafka lists
    /// them, with synonyms below the per-broker layer (which does not apply to the defaults).
    /// </summary>
    public static List<ConfigEntry> ForClusterDefaults(BrokerConfigLayers layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var names = new List<string>(layers.ClusterDefaults.Keys);
        names.Sort(StringComparer.Ordinal);
        var entries = new List<ConfigEntry>(names.Count);
        foreach (string name in names)
        {
            if (!BrokerConfigDefinition.TryGetKey(name, out ConfigKey key))
            {
                continue;
            }

            bool sensitive = key.Type == ConfigType.Password;
            var synonyms = new List<ConfigSynonym>();
            AddBrokerSynonyms(layers, DynamicBrokerConfigKeys.Synonyms(name), name, perBroker: false, synonyms);
            entries.Add(new ConfigEntry(
                name,
                sensitive ? null : layers.ClusterDefaults[name].Trim(),
                synonyms.Count == 0 ? ConfigSource.DefaultConfig : synonyms[0].Source,
                ReadOnly: !DynamicBrokerConfigKeys.AnySynonymDynamic(name),
                sensitive,
                key.Type,
                key.Documentation,
                synonyms));
        }

        return entries;
    }

    /// <summary>
    /// Kafka's <c>configSynonyms</c>: every key of the group set in each layer, highest first,
    /// dropping entries before the first one named <paramref name="head"/>.
    /// </summary>
    private static void AddBrokerSynonyms(BrokerConfigLayers layers, IReadOnlyList<string> group, string head, bool perBroker, List<ConfigSynonym> into)
    {
        var found = new List<ConfigSynonym>(group.Count * 2);
        if (perBroker)
        {
            AddSet(layers.PerBroker, group, ConfigSource.DynamicBrokerConfig, found);
        }

        AddSet(layers.ClusterDefaults, group, ConfigSource.DynamicDefaultBrokerConfig, found);
        AddSet(layers.Options.Originals, group, ConfigSource.StaticBrokerConfig, found);
        foreach (string name in group)
        {
            if (BrokerConfigDefinition.TryGetKey(name, out ConfigKey key) && key.DefaultValue is { } defaultValue)
            {
                found.Add(new ConfigSynonym(name, IsSensitive(name) ? null : defaultValue, ConfigSource.DefaultConfig));
            }
        }

        int start = found.FindIndex(s => s.Name == head);
        if (start >= 0)
        {
            into.AddRange(found.GetRange(start, found.Count - start));
        }
    }

    private static void AddSet(IReadOnlyDictionary<string, string> layer, IReadOnlyList<string> group, ConfigSource source, List<ConfigSynonym> into)
    {
        foreach (string name in group)
        {
            if (layer.TryGetValue(name, out string? text))
            {
                into.Add(new ConfigSynonym(name, IsSensitive(name) ? null : text.Trim(), source));
            }
        }
    }

    private static bool IsSensitive(string brokerKey) =>
        BrokerConfigDefinition.TryGetKey(brokerKey, out ConfigKey key) && key.Type == ConfigType.Password;
}
