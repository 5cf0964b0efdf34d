using Samsa.Coordination.ZooKeeper;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>
/// The read timeout's clock, with a 4-s session: the loop ticking every 333 ms, a connection
/// dropped after more than 2,666 ms of counted silence or 3,333 ms of any silence.
/// </summary>
public sealed class ServerSilenceWatchTests
{
    private const int SessionTimeoutMs = 4000;
    private const int TickMs = 333;

    [Fact]
    public void While_the_loop_runs_on_time_silence_counts_from_the_last_frame()
    {
        // The first tick past 2,666 ms of silence: 2,997 ms, and 4,329 ms after a frame at 1,330 ms.
        var watch = new ServerSilenceWatch(SessionTimeoutMs, openedTicks: 0);
        Assert.Equal(9 * TickMs, FirstDrop(ref watch, from: 0, lastReceiveTicks: 0));

        var heard = new ServerSilenceWatch(SessionTimeoutMs, openedTicks: 0);
        Assert.Equal(-1, FirstDrop(ref heard, from: 0, lastReceiveTicks: 0, until: 4 * TickMs));
        Assert.Equal(13 * TickMs, FirstDrop(ref heard, from: 4 * TickMs, lastReceiveTicks: 1330));
    }

    [Fact]
    public void A_stall_of_the_process_does_not_count_as_the_servers_silence()
    {
        // The last answer came at 1,340 ms; the process then ran nothing until 4,500 ms. Counted
        // plainly that is 3,160 ms of silence, past 2,666, but the server may well have answered.
        var watch = new ServerSilenceWatch(SessionTimeoutMs, openedTicks: 0);
        Assert.False(watch.ShouldDrop(1332, lastReceiveTicks: 0));
        Assert.False(watch.ShouldDrop(4500, lastReceiveTicks: 1340));

        // A server still silent after a stall to 3,000 ms gets a fresh window: counted from one
        // ping interval before the stall's end, it is dropped at 4,665 ms, not at 4,332 ms.
        var silent = new ServerSilenceWatch(SessionTimeoutMs, openedTicks: 0);
        Assert.False(silent.ShouldDrop(1332, lastReceiveTicks: 0));
        Assert.False(silent.ShouldDrop(3000, lastReceiveTicks: 1340));
        Assert.Equal(3000 + (5 * TickMs), FirstDrop(ref silent, from: 3000, lastReceiveTicks: 1340));
    }

    [Fact]
    public void A_loop_that_starts_late_is_a_late_first_tick()
    {
        var late = new ServerSilenceWatch(SessionTimeoutMs, openedTicks: 0);
        Assert.False(late.ShouldDrop(3000, lastReceiveTicks: 0));

        // Late, but within a ping interval of the connection's start: counted as it is.
        var onTime = new ServerSilenceWatch(SessionTimeoutMs, openedTicks: 0);
        Assert.False(onTime.ShouldDrop(1000, lastReceiveTicks: 0));
        Assert.Equal(1000 + (6 * TickMs), FirstDrop(ref onTime, from: 1000, lastReceiveTicks: 0));
    }

    [Fact]
    public void Five_sixths_of_the_session_timeout_without_a_word_drop_the_connection_whatever_the_stalls()
    {
        // Two stalls, each earning a fresh window, and then a tick on time at 3,400 ms: the window
        // would allow until 4,333 ms, but the server may expire the session at 4,000 ms.
        var watch = new ServerSilenceWatch(SessionTimeoutMs, openedTicks: 0);
        Assert.False(watch.ShouldDrop(1500, lastReceiveTicks: 0));
        Assert.False(watch.ShouldDrop(3000, lastReceiveTicks: 0));
        Assert.True(watch.ShouldDrop(3400, lastReceiveTicks: 0));
    }

    /// <summary>Ticks on time after <paramref name="from"/> with nothing new heard; the first tick that drops, or -1.</summary>
    private static long FirstDrop(ref ServerSilenceWatch watch, long from, long lastReceiveTicks, long until = 60_000)
    {
        for (long now = from + TickMs; now <= until; now += TickMs)
        {
            if (watch.ShouldDrop(now, lastReceiveTicks))
            {
                return now;
            }
        }

        return -1;
    }
}
