namespace Samsa.Broker.Configuration;

/// <summary>One place a config's value could come from, highest precedence first in a <see cref="ConfigEntry"/>.</summary>
internal sealed record ConfigSynonym(string Name, string? Value, ConfigSource Source);
