namespace Samsa.Cli.Tools;

/// <summary>
/// --throughput as Kafka's ThroughputThrottler applies it: when the average rate since the start
/// exceeds the target, each further send adds 1/target seconds to a sleep deficit, and the loop
/// sleeps once the deficit reaches 2 ms (sleeping per record would cost more than it waits).
/// A negative target never throttles; zero blocks until the tool is stopped.
/// </summary>
internal sealed class ProducerPerformanceThrottler
{
    private const long NanosPerSecond = 1_000_000_000;
    private const long MinSleepNanos = 2_000_000;

    private readonly long _startMs;
    private readonly double _target;
    private readonly long _sleepTimeNanos;
    private long _sleepDeficitNanos;

    public ProducerPerformanceThrottler(double targetPerSecond, long startMs)
    {
        _startMs = startMs;
        _target = targetPerSecond;
        _sleepTimeNanos = targetPerSecond > 0 ? (long)(NanosPerSecond / targetPerSecond) : long.MaxValue;
    }

    /// <param name="amountSoFar">Records sent before this one.</param>
    /// <param name="sendStartMs">When this record was sent.</param>
    public bool ShouldThrottle(long amountSoFar, long sendStartMs)
    {
        if (_target < 0)
        {
            return false;
        }

        float elapsedSec = (sendStartMs - _startMs) / 1000f;
        return elapsedSec > 0 && amountSoFar / elapsedSec > _target;
    }

    public void Throttle(CancellationToken cancellationToken)
    {
        if (_target == 0)
        {
            cancellationToken.WaitHandle.WaitOne();
            return;
        }

        _sleepDeficitNanos += _sleepTimeNanos;
        if (_sleepDeficitNanos < MinSleepNanos)
        {
            return;
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        long remaining = _sleepDeficitNanos;
        while (remaining > 0 && !cancellationToken.IsCancellationRequested)
        {
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromTicks(Math.Max(1, remaining / 100)));
            long elapsedNanos = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalNanoseconds;
            remaining = _sleepDeficitNanos - elapsedNanos;
        }

        _sleepDeficitNanos = 0;
    }
}
