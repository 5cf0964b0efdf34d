using Microsoft.Extensions.Time.Testing;
using Samsa.Broker.Partitions;
using Samsa.Coordination.Embedded;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Partitions;

/// <summary>
/// A config watcher's loop outlives a reload that fails in any way, not only on the store; a
/// failure that stays is retried ever more slowly, yet a change is read at once.
/// </summary>
public sealed class ReloadOnWatchLoopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_failure_that_stays_backs_off_but_a_change_is_read_at_once_and_success_resets_the_pause()
    {
        using var dir = new TempDirectory("reload-backoff");
        await using EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(dir.Path, TimeProvider.System);
        var time = new FakeTimeProvider();
        var logger = new RecordingLogger();
        int reloads = 0;
        bool fixedConfig = false;
        Task Reload(CancellationToken stopping)
        {
            // Decided before counting: a test that sees the count may change the config for the next read.
            bool ok = Volatile.Read(ref fixedConfig);
            Interlocked.Increment(ref reloads);
            return ok ? Task.CompletedTask : Task.FromException(new InvalidOperationException("bad config"));
        }

        await using var loop = new ReloadOnWatchLoop(store, Reload, "test configs", time, logger);
        loop.Signal();
        loop.Start();
        await Polling.UntilAsync(() => Pauses(logger) is [1], Patience, "the first failure pauses 1 s");

        // The clock moves until the first pause ends (the loop may not have started it yet).
        using (var patience = new CancellationTokenSource(Patience))
        {
            while (Volatile.Read(ref reloads) < 2)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10, patience.Token);
            }
        }

        await Polling.UntilAsync(() => Pauses(logger) is [1, 2], Patience, "the second failure pauses 2 s");

        // The operator's fix: a signal ends the pause without the clock moving.
        loop.Signal();
        await Polling.UntilAsync(() => Pauses(logger) is [1, 2, 4], Patience, "a signal reloads during the pause, which fails again and pauses 4 s");
        Volatile.Write(ref fixedConfig, true);
        loop.Signal();
        await Polling.UntilAsync(() => Volatile.Read(ref reloads) == 4, Patience, "the fixed config is read at once");

        Volatile.Write(ref fixedConfig, false);
        loop.Signal();
        await Polling.UntilAsync(() => Pauses(logger) is [1, 2, 4, 1], Patience, "after a success the next failure pauses 1 s again");
    }

    private static List<int> Pauses(RecordingLogger logger)
    {
        var pauses = new List<int>();
        foreach ((_, string message) in logger.Entries)
        {
            int at = message.IndexOf("retrying in ", StringComparison.Ordinal);
            if (at >= 0)
            {
                pauses.Add(int.Parse(message.AsSpan(at + "retrying in ".Length).TrimEnd(" s.".AsSpan()), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return pauses;
    }
}
