namespace Samsa.Broker.Configuration;

/// <summary>
/// One described config of a topic or broker, as DescribeConfigs reports it: the effective value
/// (null for sensitive or unset keys), where it comes from, and the synonyms that were considered.
/// </summary>
internal sealed record ConfigEntry(
    string Name,
    string? Value,
    ConfigSource Source,
    bool ReadOnly,
    bool Sensitive,
    ConfigType Type,
    string Documentation,
    IReadOnlyList<ConfigSynonym> Synonyms);
