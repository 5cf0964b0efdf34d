namespace Samsa.Broker.Controller;

/// <summary>
/// Which failures of an operation retried every few hundred milliseconds are worth a log line
/// (ZooKeeper refusing the controller's writes for minutes would otherwise print one WARN per
/// retry): the first of a run, then at most one per <paramref name="interval"/> with the count
/// so far; <see cref="Succeeded"/> tells whether a run ended, for one line saying it recovered.
/// Not thread-safe: one loop owns it (the controller loop, a session renewal).
/// </summary>
internal sealed class RetriedFailureLog(TimeProvider time, TimeSpan interval)
{
    /// <summary>The spacing of "still failing" lines the controller uses.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    private int _failures;
    private long _loggedAt;

    /// <summary>Counts a failure; true when it is to be logged, with <paramref name="failures"/> the run's count so far (1: the first).</summary>
    public bool Failed(out int failures)
    {
        failures = ++_failures;
        long now = time.GetTimestamp();
        if (failures == 1 || time.GetElapsedTime(_loggedAt, now) >= interval)
        {
            _loggedAt = now;
            return true;
        }

        return false;
    }

    /// <summary>Ends the run on a success: the failures it had, 0 when there was none (nothing to report).</summary>
    public int Succeeded()
    {
        int failures = _failures;
        _failures = 0;
        return failures;
    }

    /// <summary>Forgets a run whose retries stopped without a success (nothing left to do, or no longer the controller).</summary>
    public void Abandon() => _failures = 0;
}
