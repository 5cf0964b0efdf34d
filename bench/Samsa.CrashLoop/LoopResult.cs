using System.Globalization;

namespace Samsa.CrashLoop;

/// <summary>
/// The figures both loops report (<see cref="CrashLoopResult"/>, <see cref="ClusterChaosResult"/>):
/// what the workload wrote and the audits checked, and every problem found (none: the run passed).
/// </summary>
public record LoopResult
{
    public int Seed { get; init; }

    public int RoundsCompleted { get; init; }

    /// <summary>Distinct messages whose delivery report said success.</summary>
    public long Acknowledged { get; init; }

    /// <summary>Messages reported persisted without an offset (librdkafka's implicit acknowledgement); audited as acknowledged.</summary>
    public long AcknowledgedWithoutOffset { get; init; }

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

    /// <summary>These figures as the second half of a loop's summary line (docs/reliability.md quotes them).</summary>
    public string Figures() => string.Create(CultureInfo.InvariantCulture,
        $"acknowledged {Acknowledged} (and {AcknowledgedWithoutOffset} without an offset), delivery failed {DeliveryFailed}, lost {Lost}, duplicated {Duplicated}, out of order {OutOfOrder}, corrupt/misplaced {CorruptOrMisplaced}; audited {MessagesAudited} messages and {AcknowledgementsChecked} acknowledgements; group consumed {GroupConsumed} with {GroupCommits} commits, {CommitsChecked} committed offsets checked; {ProducerInstances} producer instances; {Problems.Count} problems");
}
