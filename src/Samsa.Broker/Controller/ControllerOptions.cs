namespace Samsa.Broker.Controller;

/// <summary>The broker settings the controller acts on.</summary>
internal sealed record ControllerOptions
{
    public int DefaultNumPartitions { get; init; } = 1;

    public int DefaultReplicationFactor { get; init; } = 1;

    public bool DeleteTopicEnable { get; init; } = true;

    /// <summary>Checks topic-level config overrides; returns null when valid, else a message naming the key.</summary>
    public Func<IReadOnlyDictionary<string, string>, string?> ValidateTopicConfig { get; init; } = static _ => null;

    /// <summary>Seeds replica placement; tests fix it to make placement repeatable.</summary>
    public int? PlacementSeed { get; init; }
}
