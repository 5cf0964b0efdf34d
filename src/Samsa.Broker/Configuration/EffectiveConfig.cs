namespace Samsa.Broker.Configuration;

/// <summary>
/// Describes configs as Kafka's DescribeConfigs does (<c>ConfigHelper</c> in 3.x): each key's
/// effective value, its source and its synonyms in precedence order. A topic key's synonyms are its
/// override (DYNAMIC_TOPIC_CONFIG), then its broker keys set in server.properties
/// (STATIC_BROKER_CONFIG), then their defaults (DEFAULT_CONFIG); like Kafka, the broker part starts
/// at the key's main synonym, so <c>retention.ms</c> under <c>log.retention.hours=168</c> reports
/// DEFAULT_CONFIG with no synonyms. Samsa has no dynamic broker configs, so broker keys are read-only.
/// </summary>
internal static class EffectiveConfig
{
    /// <summary>Every topic key of a topic with <paramref name="overrides"/> on a broker started with <paramref name="options"/>.</summary>
    public static List<ConfigEntry> ForTopic(BrokerOptions options, IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(options);
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
                value = TopicConfigDefinition.Format(key.BrokerDefault(options));
            }

            if (key.BrokerSynonyms.Count > 0)
            {
                AddBrokerSynonyms(options, key.BrokerSynonyms, key.BrokerSynonyms[0], synonyms);
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

    /// <summary>Every broker key of this broker: the value from server.properties, else Kafka's default.</summary>
    public static List<ConfigEntry> ForBroker(BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entries = new List<ConfigEntry>(BrokerConfigDefinition.Keys.Count);
        foreach (ConfigKey key in BrokerConfigDefinition.Keys)
        {
            bool sensitive = key.Type == ConfigType.Password;
            string? value = options.Originals.TryGetValue(key.Name, out string? text) ? text.Trim() : key.DefaultValue;
            var synonyms = new List<ConfigSynonym>();
            AddBrokerSynonyms(options, BrokerSynonymsOf(key.Name), key.Name, synonyms);
            entries.Add(new ConfigEntry(
                key.Name,
                sensitive ? null : value,
                synonyms.Count == 0 ? ConfigSource.DefaultConfig : synonyms[0].Source,
                ReadOnly: true,
                sensitive,
                key.Type,
                key.Documentation,
                synonyms));
        }

        return entries;
    }

    /// <summary>
    /// Kafka's <c>configSynonyms</c>: every set broker key of the group, then every one with a
    /// default, dropping entries before the first one named <paramref name="head"/>.
    /// </summary>
    private static void AddBrokerSynonyms(BrokerOptions options, IReadOnlyList<string> group, string head, List<ConfigSynonym> into)
    {
        var found = new List<ConfigSynonym>(group.Count * 2);
        foreach (string name in group)
        {
            if (options.Originals.TryGetValue(name, out string? text))
            {
                found.Add(new ConfigSynonym(name, IsSensitive(name) ? null : text.Trim(), ConfigSource.StaticBrokerConfig));
            }
        }

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

    private static bool IsSensitive(string brokerKey) =>
        BrokerConfigDefinition.TryGetKey(brokerKey, out ConfigKey key) && key.Type == ConfigType.Password;

    /// <summary>The unit variants of a broker key (log.retention.ms/minutes/hours, ...), else the key alone.</summary>
    private static IReadOnlyList<string> BrokerSynonymsOf(string brokerKey)
    {
        foreach (TopicConfigKey topicKey in TopicConfigDefinition.Keys)
        {
            if (topicKey.BrokerSynonyms.Count > 1 && topicKey.BrokerSynonyms.Contains(brokerKey))
            {
                return topicKey.BrokerSynonyms;
            }
        }

        return [brokerKey];
    }
}
