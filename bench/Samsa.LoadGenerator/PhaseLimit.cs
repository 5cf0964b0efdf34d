using System.Diagnostics;

namespace Samsa.LoadGenerator;

/// <summary>
/// When a phase stops issuing requests: at a deadline, after a request count shared by all its
/// connections, or both. Requests already in flight are still answered and counted. The clock
/// starts at <see cref="Begin"/>, once every connection is open.
/// </summary>
internal sealed class PhaseLimit
{
    private readonly TimeSpan? _duration;
    private long _deadline = long.MinValue;
    private long _remaining;

    public PhaseLimit(TimeSpan? duration, long? requests)
    {
        _duration = duration;
        _remaining = requests ?? long.MaxValue;
    }

    /// <summary>Stopwatch timestamp of the phase's start.</summary>
    public long Start { get; private set; }

    public void Begin()
    {
        Start = Stopwatch.GetTimestamp();
        _deadline = _duration is { } d ? Start + (long)(d.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
    }

    /// <summary>Takes one request from the budget; false once the phase is over (or before it began).</summary>
    public bool TryTake(long now)
    {
        if (now >= _deadline || Volatile.Read(ref _remaining) <= 0)
        {
            return false;
        }

        return Interlocked.Decrement(ref _remaining) >= 0;
    }

    public static long ToMicroseconds(long stopwatchTicks) => stopwatchTicks * 1_000_000 / Stopwatch.Frequency;
}
