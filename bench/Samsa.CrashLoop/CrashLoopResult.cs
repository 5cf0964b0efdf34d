namespace Samsa.CrashLoop;

/// <summary>The figures of a crash-loop run and every problem it found (none: the run passed).</summary>
public sealed class CrashLoopResult
{
    public int Seed { get; init; }

    public int RoundsCompleted { get; init; }

    /// <summary>SIGKILLs while producers and the group were running (one per round).</summary>
    public int Kills { get; init; }

    /// <summary>Extra SIGKILLs at a random point of a restart.</summary>
    public int StartupKills { get; init; }

    public int StartupKillsBeforeStarted { get; init; }

    /// <summary>Distinct messages whose delivery report said success.</summary>
    public long Acknowledged { get; init; }

    /// <summary>Messages whose delivery failed (allowed to be missing, never to be duplicated).</summary>
    public long DeliveryFailed { get; init; }

    public long Lost { get; init; }

    public long Duplicated { get; init; }

    public long OutOfOrder { get; init; }

    public long CorruptOrMisplaced { get; init; }

    /// <summary>Messages read back from offset 0, summed over every audit.</summary>
    public long MessagesAudited { get; init; }

    /// <summary>Acknowledgements compared with the log, summed over every audit.</summary>
    public long AcknowledgementsChecked { get; init; }

    public long GroupCommits { get; init; }

    /// <summary>Partition committed offsets compared with the harness's record, summed over every audit.</summary>
    public long CommitsChecked { get; init; }

    public long GroupConsumed { get; init; }

    public int ProducerInstances { get; init; }

    public TimeSpan Elapsed { get; init; }

    public IReadOnlyList<string> Problems { get; init; } = [];

    public bool Passed => Problems.Count == 0;
}
