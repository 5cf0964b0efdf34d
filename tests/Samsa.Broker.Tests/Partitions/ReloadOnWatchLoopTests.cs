using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Partitions;
using Samsa.Coordination.Embedded;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Partitions;

/// <summary>A config watcher's loop outlives a reload that fails in any way, not only on the store.</summary>
public sealed class ReloadOnWatchLoopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_reload_that_throws_is_tried_again_and_later_signals_still_reload()
    {
        using var dir = new TempDirectory("reload-loop");
        await using EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(dir.Path, TimeProvider.System);
        int reloads = 0;
        Task Reload(CancellationToken stopping)
        {
            // The first read meets a config that does not apply (not a store failure).
            return Interlocked.Increment(ref reloads) == 1
                ? Task.FromException(new InvalidOperationException("retention.ms is not a number"))
                : Task.CompletedTask;
        }

        var loop = new ReloadOnWatchLoop(store, Reload, "test configs", TimeProvider.System, NullLogger.Instance);
        loop.Signal();
        loop.Start();
        await Polling.UntilAsync(() => Volatile.Read(ref reloads) == 2, Patience, "the failed reload runs again");

        loop.Signal();
        await Polling.UntilAsync(() => Volatile.Read(ref reloads) == 3, Patience, "a later signal reloads once more");
        await loop.DisposeAsync();
    }
}
