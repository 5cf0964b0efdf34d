namespace Samsa.CrashLoop;

/// <summary>
/// What one crash-loop run does: how many rounds, how much load, and the ranges the seeded random
/// kill timing is drawn from. The same seed gives the same kill delays, down times and producer
/// settings; thread timing still varies from run to run.
/// </summary>
public sealed class CrashLoopOptions
{
    public int Seed { get; init; }

    public int Rounds { get; init; } = 50;

    public string Topic { get; init; } = "crash-loop";

    public string Group { get; init; } = "crash-loop-group";

    public int Partitions { get; init; } = 3;

    /// <summary>Idempotent producers writing at once (each to every partition).</summary>
    public int Producers { get; init; } = 2;

    /// <summary>Messages per second per producer; bounded so that reading every partition from 0 each round stays cheap.</summary>
    public int MessagesPerSecond { get; init; } = 1000;

    /// <summary>The range of the kill delay, measured from the round's first acknowledgement after the last restart.</summary>
    public TimeSpan MinKillDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxKillDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>One round in four kills within this much of the first acknowledgement after a restart (clients reconnecting, groups loading).</summary>
    public TimeSpan EarlyKillWindow { get; init; } = TimeSpan.FromMilliseconds(150);

    /// <summary>The broker stays dead for a random time up to this before it is started again.</summary>
    public TimeSpan MaxDownTime { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a round may wait for progress or for the audit before it fails as stuck.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Where a failing run copies the broker's log dir (for the post-mortem); null keeps nothing.</summary>
    public string? EvidenceDirectory { get; init; }

    /// <summary>
    /// Broker settings that make a few MB of data exercise recovery: segments roll every few
    /// thousand messages, the offsets topic rolls too, and it has few partitions so start-up is quick.
    /// </summary>
    public IReadOnlyList<string> BrokerOverrides { get; init; } =
    [
        "log.segment.bytes=262144",
        "log.index.interval.bytes=1024",
        "offsets.topic.num.partitions=3",
        "offsets.topic.segment.bytes=65536",
        "auto.create.topics.enable=false",
    ];
}
