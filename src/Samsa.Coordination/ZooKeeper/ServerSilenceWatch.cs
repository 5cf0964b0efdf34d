namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// When a connection has heard from its server too little (ClientCnxn's readTimeout: nothing for
/// two thirds of the session timeout), not counting time this process was not running. The
/// connection's ping loop asks on every tick. When a tick comes more than a ping interval (a third
/// of the timeout) late, the process was stalled (a loaded machine, a long GC) and the server's
/// answer may be sitting unread: the silence clock restarts as if the last answer came one ping
/// interval ago, so the server gets the usual window to answer the ping that goes out now.
/// Without this a stall of two thirds of the session timeout dropped a healthy connection.
/// Silence of a whole session timeout, stalls included, always drops the connection: by then the
/// server has given up on the session, and a client that went on believing it was connected could
/// act on a session (a controller's) that no longer exists.
/// </summary>
internal struct ServerSilenceWatch(int sessionTimeoutMs, long startTicks)
{
    private readonly int _pingIntervalMs = sessionTimeoutMs / 3;
    private readonly int _readTimeoutMs = sessionTimeoutMs * 2 / 3;
    private long _previousTick = startTicks;
    private long _watchedSince = startTicks;

    /// <summary>Whether to drop the connection at <paramref name="now"/>, given when the last frame arrived.</summary>
    public bool ShouldDrop(long now, long lastReceiveTicks)
    {
        if (now - _previousTick > _pingIntervalMs)
        {
            _watchedSince = Math.Max(_watchedSince, now - _pingIntervalMs);
        }

        _previousTick = now;
        long counted = now - Math.Max(lastReceiveTicks, _watchedSince);
        return counted > _readTimeoutMs || now - lastReceiveTicks >= sessionTimeoutMs;
    }
}
