namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// When a connection has heard from its server too little: nothing for two thirds of the session
/// timeout (ClientCnxn's readTimeout), not counting a stall of this process. The connection's ping
/// loop asks on every tick (a twelfth of the timeout). A tick more than a ping interval (a third)
/// after the previous one means the process was not running (a loaded machine, a long GC) and the
/// server's answer may be sitting unread: the server then gets a fresh window, as if its last
/// answer came one ping interval before this tick, to answer the ping that goes out now. Without
/// this a stall of two thirds of the timeout dropped a healthy connection (CI, 2026-11-27).
/// Five sixths of the timeout without a word always drop, stalls or not: checked every twelfth,
/// the drop comes before a whole timeout has passed since the last answer, so the client stops
/// believing it is connected before the server can have expired the session (it heard the request
/// behind that answer no earlier than half a round trip before it), which a controller relies on.
/// </summary>
internal struct ServerSilenceWatch(int sessionTimeoutMs, long openedTicks)
{
    private readonly int _pingIntervalMs = sessionTimeoutMs / 3;
    private readonly int _readTimeoutMs = sessionTimeoutMs * 2 / 3;
    private readonly int _silenceLimitMs = sessionTimeoutMs * 5 / 6;

    // A loop that starts late counts as a late first tick.
    private long _previousTick = openedTicks;
    private long _windowStart = openedTicks;

    /// <summary>Whether to drop the connection at <paramref name="now"/>, given when the last frame arrived.</summary>
    public bool ShouldDrop(long now, long lastReceiveTicks)
    {
        if (now - _previousTick > _pingIntervalMs)
        {
            _windowStart = Math.Max(_windowStart, now - _pingIntervalMs);
        }

        _previousTick = now;
        long counted = now - Math.Max(lastReceiveTicks, _windowStart);
        return counted > _readTimeoutMs || now - lastReceiveTicks >= _silenceLimitMs;
    }
}
