namespace Samsa.CrashLoop;

/// <summary>The figures of a cluster chaos run: the common ones, the faults and the heal times.</summary>
public sealed record ClusterChaosResult : LoopResult
{
    public ClusterChaosResult(LoopResult figures)
        : base(figures)
    {
    }

    /// <summary>Faults injected, by kind.</summary>
    public IReadOnlyDictionary<ChaosFault, int> Faults { get; init; } = new Dictionary<ChaosFault, int>();

    /// <summary>The longest time from the end of a fault to every replica in sync again.</summary>
    public TimeSpan LongestHeal { get; init; }

    public int FaultCount(ChaosFault fault) => Faults.TryGetValue(fault, out int count) ? count : 0;
}
