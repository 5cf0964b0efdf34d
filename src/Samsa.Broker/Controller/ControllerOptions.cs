namespace Samsa.Broker.Controller;

/// <summary>The broker settings the controller acts on.</summary>
internal sealed record ControllerOptions
{
    public int DefaultNumPartitions { get; init; } = 1;

    public int DefaultReplicationFactor { get; init; } = 1;

    public bool DeleteTopicEnable { get; init; } = true;

    /// <summary>Checks topic-level config overrides; returns null when valid, else a message naming the key.</summary>
    public Func<IReadOnlyDictionary<string, string>, string?> ValidateTopicConfig { get; init; } = static _ => null;

    /// <summary>The listener brokers reach each other on (LeaderAndIsr's live leaders, the controller channel).</summary>
    public string InterBrokerListenerName { get; init; } = "PLAINTEXT";

    /// <summary>unclean.leader.election.enable: elect a live replica outside the ISR when no ISR member is left.</summary>
    public bool UncleanLeaderElectionEnable { get; init; }

    /// <summary>auto.leader.rebalance.enable: periodically move leadership back to preferred replicas.</summary>
    public bool AutoLeaderRebalanceEnable { get; init; }

    /// <summary>leader.imbalance.check.interval.seconds.</summary>
    public TimeSpan LeaderImbalanceCheckInterval { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>leader.imbalance.per.broker.percentage: above this share of misplaced leaders a broker's partitions are rebalanced.</summary>
    public int LeaderImbalancePerBrokerPercentage { get; init; } = 10;

    /// <summary>Seeds replica placement; tests fix it to make placement repeatable.</summary>
    public int? PlacementSeed { get; init; }
}
