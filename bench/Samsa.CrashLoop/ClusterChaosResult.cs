namespace Samsa.CrashLoop;

/// <summary>The figures of a cluster chaos run and every problem it found (none: the run passed).</summary>
public sealed class ClusterChaosResult
{
    public int Seed { get; init; }

    public int RoundsCompleted { get; init; }

    /// <summary>Faults injected, by kind.</summary>
    public IReadOnlyDictionary<ChaosFault, int> Faults { get; init; } = new Dictionary<ChaosFault, int>();

    /// <summary>The longest time from the end of a fault to every replica in sync again.</summary>
    public TimeSpan LongestHeal { get; init; }

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

    public int FaultCount(ChaosFault fault) => Faults.TryGetValue(fault, out int count) ? count : 0;
}
