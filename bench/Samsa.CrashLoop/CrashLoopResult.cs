namespace Samsa.CrashLoop;

/// <summary>The figures of a crash-loop run: the common ones and the kills.</summary>
public sealed record CrashLoopResult : LoopResult
{
    public CrashLoopResult(LoopResult figures)
        : base(figures)
    {
    }

    /// <summary>SIGKILLs while producers and the group were running (one per round).</summary>
    public int Kills { get; init; }

    /// <summary>Extra SIGKILLs at a random point of a restart.</summary>
    public int StartupKills { get; init; }

    public int StartupKillsBeforeStarted { get; init; }
}
