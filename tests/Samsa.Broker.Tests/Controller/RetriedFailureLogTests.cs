using Samsa.Broker.Controller;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Controller;

/// <summary>
/// A store that refuses the controller's writes for minutes must not fill the log with one WARN
/// per 500-ms retry: the first failure is told, then one line per interval with the count, and
/// the recovery once.
/// </summary>
public sealed class RetriedFailureLogTests
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(500);

    [Fact]
    public void The_first_failure_then_one_per_interval_with_the_count_then_the_recovery_are_told()
    {
        var clock = new ManualClock();
        var log = new RetriedFailureLog(clock, RetriedFailureLog.DefaultInterval);
        var told = new List<int>();

        // Two minutes of refusals, one retry every 500 ms: 240 failures.
        for (int i = 0; i < 240; i++)
        {
            if (log.Failed(out int failures))
            {
                told.Add(failures);
            }

            clock.Advance(Retry);
        }

        Assert.Equal([1, 61, 121, 181], told);
        Assert.Equal(240, log.Succeeded());

        // A success ends the run: the next failure is a first one again, and a success without failures says nothing.
        Assert.Equal(0, log.Succeeded());
        Assert.True(log.Failed(out int again));
        Assert.Equal(1, again);
    }

    [Fact]
    public void An_abandoned_run_is_not_reported_as_recovered_and_the_next_failure_is_a_first_one()
    {
        var clock = new ManualClock();
        var log = new RetriedFailureLog(clock, RetriedFailureLog.DefaultInterval);
        Assert.True(log.Failed(out _));
        clock.Advance(Retry);
        Assert.False(log.Failed(out int second));
        Assert.Equal(2, second);

        log.Abandon();
        Assert.Equal(0, log.Succeeded());
        clock.Advance(Retry);
        Assert.True(log.Failed(out int first));
        Assert.Equal(1, first);
    }
}
