using Samsa.Coordination.ZooKeeper;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>
/// The read timeout's clock, with a 4-s session: pings every 1,333 ms, the loop ticking every
/// 333 ms, a connection dropped after 2,666 ms of silence.
/// </summary>
public sealed class ServerSilenceWatchTests
{
    private const int PingIntervalMs = 1333;
    private const int TickMs = 333;

    [Fact]
    public void Silence_counts_from_the_last_frame_while_the_loop_runs_on_time()
    {
        var watch = new ServerSilenceWatch(PingIntervalMs, startTicks: 0);
        long silentFor = 0;
        for (long now = TickMs; now <= 3000; now += TickMs)
        {
            silentFor = watch.SilentFor(now, lastReceiveTicks: 0);
        }

        Assert.Equal(2997, silentFor);
        Assert.Equal(3330 - 1330, watch.SilentFor(3330, lastReceiveTicks: 1330));
    }

    [Fact]
    public void A_stall_of_the_process_does_not_count_as_the_servers_silence()
    {
        var watch = new ServerSilenceWatch(PingIntervalMs, startTicks: 0);
        Assert.Equal(1332, watch.SilentFor(1332, lastReceiveTicks: 0));

        // The last answer came at 1,340 ms; the process then ran nothing until 4,500 ms. The plain
        // clock would say 3,160 ms: past the timeout although the server may have answered.
        Assert.Equal(PingIntervalMs, watch.SilentFor(4500, lastReceiveTicks: 1340));

        // The server gets the usual window from there: a frame resets the clock, none drops the
        // connection one more ping interval later.
        Assert.Equal(PingIntervalMs + TickMs, watch.SilentFor(4500 + TickMs, lastReceiveTicks: 1340));
        Assert.Equal(TickMs, watch.SilentFor(4500 + (2 * TickMs), lastReceiveTicks: 4500 + TickMs));

        var silent = new ServerSilenceWatch(PingIntervalMs, startTicks: 0);
        _ = silent.SilentFor(4500, lastReceiveTicks: 0);
        long now = 4500;
        long silentFor;
        do
        {
            now += TickMs;
            silentFor = silent.SilentFor(now, lastReceiveTicks: 0);
        }
        while (silentFor <= 2 * PingIntervalMs);
        Assert.Equal(4500 + (5 * TickMs), now);
    }
}
