using Samsa.Coordination.ZooKeeper;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>
/// The read timeout's clock, with a 4-s session: pings every 1,333 ms, the loop ticking every
/// 333 ms, a connection dropped after more than 2,666 ms of silence.
/// </summary>
public sealed class ServerSilenceWatchTests
{
    private const int SessionTimeoutMs = 4000;
    private const int TickMs = 333;

    [Fact]
    public void While_the_loop_runs_on_time_silence_counts_from_the_last_frame()
    {
        var watch = new ServerSilenceWatch(SessionTimeoutMs, startTicks: 0);
        // The first tick past 2,666 ms of silence: 2,997 ms, and 4,329 ms after a frame at 1,330 ms.
        Assert.Equal(9 * TickMs, FirstDrop(ref watch, from: 0, lastReceiveTicks: 0));
        var heard = new ServerSilenceWatch(SessionTimeoutMs, startTicks: 0);
        Assert.Equal(13 * TickMs, FirstDrop(ref heard, from: 0, lastReceiveTicks: 1330));
    }

    [Fact]
    public void A_stall_of_the_process_does_not_count_as_the_servers_silence()
    {
        // The last answer came at 1,340 ms; the process then ran nothing until 4,500 ms. Counted
        // plainly that is 3,160 ms of silence, past 2,666, but the server may well have answered.
        var watch = new ServerSilenceWatch(SessionTimeoutMs, startTicks: 0);
        Assert.False(watch.ShouldDrop(1332, lastReceiveTicks: 0));
        Assert.False(watch.ShouldDrop(4500, lastReceiveTicks: 1340));

        // An answer after it keeps the connection; a server still silent gets the usual window
        // from the stall's end (one ping interval, as for a ping sent on time) and is dropped then.
        Assert.False(watch.ShouldDrop(4500 + TickMs, lastReceiveTicks: 4600));
        var silent = new ServerSilenceWatch(SessionTimeoutMs, startTicks: 0);
        Assert.False(silent.ShouldDrop(1332, lastReceiveTicks: 0));
        Assert.False(silent.ShouldDrop(3500, lastReceiveTicks: 1340));
        Assert.Equal(3500 + (5 * TickMs), FirstDrop(ref silent, from: 3500, lastReceiveTicks: 1340));
    }

    [Fact]
    public void A_whole_session_timeout_of_silence_drops_the_connection_however_the_process_was_stalled()
    {
        // Every tick late: each stall alone would be forgiven, but after 4 s without a word the
        // server has expired the session, and the client must not go on believing it is connected.
        var watch = new ServerSilenceWatch(SessionTimeoutMs, startTicks: 0);
        Assert.False(watch.ShouldDrop(1500, lastReceiveTicks: 0));
        Assert.False(watch.ShouldDrop(3000, lastReceiveTicks: 0));
        Assert.True(watch.ShouldDrop(4500, lastReceiveTicks: 0));
    }

    /// <summary>Ticks on time from <paramref name="from"/> with nothing heard; the first tick that drops.</summary>
    private static long FirstDrop(ref ServerSilenceWatch watch, long from, long lastReceiveTicks)
    {
        for (long now = from + TickMs; now < 60_000; now += TickMs)
        {
            if (watch.ShouldDrop(now, lastReceiveTicks))
            {
                return now;
            }
        }

        return -1;
    }
}
