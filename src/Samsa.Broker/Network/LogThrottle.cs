namespace Samsa.Broker.Network;

/// <summary>
/// Lets a repeated log line through at most once per interval and counts what it held back, so a
/// flood of refused connections cannot flood the log. Thread-safe.
/// </summary>
internal sealed class LogThrottle
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private long _lastLogged;
    private bool _loggedOnce;
    private int _suppressed;

    public LogThrottle(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _interval = interval;
    }

    /// <summary>True when this occurrence should be logged; <paramref name="suppressed"/> is how many were skipped since the last one.</summary>
    public bool ShouldLog(out int suppressed)
    {
        lock (_gate)
        {
            long now = _time.GetTimestamp();
            if (_loggedOnce && _time.GetElapsedTime(_lastLogged, now) < _interval)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            _loggedOnce = true;
            _lastLogged = now;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
