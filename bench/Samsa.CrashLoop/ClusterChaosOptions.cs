namespace Samsa.CrashLoop;

/// <summary>
/// What one cluster chaos run does: how many rounds, which faults, the ranges the seeded random
/// timing is drawn from, and the load (the same writers, group consumer and audits as the broker
/// crash loop, through <see cref="Workload"/>).
/// </summary>
public sealed class ClusterChaosOptions
{
    /// <summary>The brokers' settings: replicated topics, min.insync.replicas=2, segments that roll.</summary>
    public static readonly IReadOnlyList<string> ClusterBrokerOverrides =
    [
        "log.segment.bytes=262144",
        "log.index.interval.bytes=1024",
        "offsets.topic.num.partitions=3",
        "offsets.topic.replication.factor=3",
        "offsets.topic.segment.bytes=65536",
        "min.insync.replicas=2",
        "unclean.leader.election.enable=false",
        // Below the longest pause, so a paused follower sometimes also falls out for lagging.
        "replica.lag.time.max.ms=10000",
        "auto.create.topics.enable=false",
        // A restarting broker gives up (exits, as Kafka's does) if no ZooKeeper server answers within
        // this; the default (the 6 s session) was seen to run out on this loaded 2-core machine while
        // a JVM was slow to handshake, which is not the fault under test.
        "zookeeper.connection.timeout.ms=30000",
    ];

    public int Seed { get; init; }

    public int Rounds { get; init; } = 30;

    public int Partitions { get; init; } = 6;

    public int Producers { get; init; } = 2;

    /// <summary>Messages per second per producer; the machine also runs three JVMs and three brokers.</summary>
    public int MessagesPerSecond { get; init; } = 300;

    /// <summary>
    /// The faults to draw from. Rounds take them from a seeded shuffle of this list, refilled when
    /// used up, so every run of at least this many rounds injects each of them.
    /// </summary>
    public IReadOnlyList<ChaosFault> Faults { get; init; } = Enum.GetValues<ChaosFault>();

    /// <summary>How long the load runs, after the round's first acknowledgement, before the fault.</summary>
    public TimeSpan MinFaultDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxFaultDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A killed process stays dead for a random time up to this before it is started again.</summary>
    public TimeSpan MaxDownTime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The range of a SIGSTOP's length; the upper end is past the brokers' 6 s ZooKeeper session.</summary>
    public TimeSpan MinPause { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxPause { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the cluster may take after a fault to have every replica of every partition in sync again.</summary>
    public TimeSpan HealTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>How long a round may wait for progress or for an audit before it fails as stuck.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where a failing run keeps the processes' output and the brokers' log dirs; null keeps nothing.</summary>
    public string? EvidenceDirectory { get; init; }

    /// <summary>The load and audit settings shared with the broker crash loop.</summary>
    public CrashLoopOptions Workload() => new()
    {
        Seed = Seed,
        Rounds = Rounds,
        Topic = "chaos",
        Group = "chaos-group",
        Partitions = Partitions,
        Producers = Producers,
        MessagesPerSecond = MessagesPerSecond,
        StepTimeout = StepTimeout,
        EvidenceDirectory = EvidenceDirectory,
        BrokerOverrides = ClusterBrokerOverrides,
    };
}
