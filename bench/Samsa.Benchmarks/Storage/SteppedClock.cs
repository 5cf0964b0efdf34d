namespace Samsa.Benchmarks.Storage;

/// <summary>A clock that stands still until told to move: lets a benchmark roll a segment by segment.ms exactly when it wants.</summary>
internal sealed class SteppedClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
