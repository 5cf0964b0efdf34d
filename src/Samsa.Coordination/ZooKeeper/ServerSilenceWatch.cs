namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// How long a connection has heard nothing from its server (ClientCnxn's readTimeout), not counting
/// time this process was not running. The connection's ping loop asks on every tick; when a tick
/// comes more than a ping interval late, the process was stalled (a loaded machine, a long GC) and
/// the server's answer may be sitting unread in the socket: the silence clock restarts as if the
/// last answer came one ping interval ago, so the server gets the usual window to answer the ping
/// that goes out now. Without this a stall of two thirds of the session timeout dropped a healthy
/// connection.
/// </summary>
internal struct ServerSilenceWatch(int pingIntervalMs, long startTicks)
{
    private long _previousTick = startTicks;
    private long _watchedSince = startTicks;

    /// <summary>Milliseconds of silence at <paramref name="now"/>, given when the last frame arrived.</summary>
    public long SilentFor(long now, long lastReceiveTicks)
    {
        if (now - _previousTick > pingIntervalMs)
        {
            _watchedSince = Math.Max(_watchedSince, now - pingIntervalMs);
        }

        _previousTick = now;
        return now - Math.Max(lastReceiveTicks, _watchedSince);
    }
}
