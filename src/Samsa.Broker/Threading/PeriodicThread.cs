namespace Samsa.Broker.Threading;

/// <summary>
/// Runs an action every period on a thread of its own until cancelled, for background work that
/// blocks on the disk: checkpoint fsyncs, retention, compaction, flush.ms. Under write-back such a
/// call can take seconds, and on a thread-pool thread it would hold one of the few threads that
/// serve every connection (Kafka runs it on its scheduler's threads, not its request handlers').
/// </summary>
internal static class PeriodicThread
{
    /// <summary>
    /// Starts the loop; the task completes when it has ended after <paramref name="stopping"/> is
    /// cancelled, or faults with what <paramref name="tick"/> threw.
    /// </summary>
    public static Task Start(string name, TimeSpan period, TimeProvider time, Action tick, CancellationToken stopping)
    {
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => Run(period, time, tick, ended, stopping)) { IsBackground = true, Name = name };
        thread.Start();
        return ended.Task;
    }

    private static void Run(TimeSpan period, TimeProvider time, Action tick, TaskCompletionSource ended, CancellationToken stopping)
    {
        try
        {
            using var timer = new PeriodicTimer(period, time);
            // Blocking waits are what this thread is for.
            while (timer.WaitForNextTickAsync(stopping).AsTask().GetAwaiter().GetResult())
            {
                tick();
            }

            ended.SetResult();
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            ended.SetResult();
        }
#pragma warning disable CA1031 // Handed to whoever awaits the loop, as an async loop's fault would be.
        catch (Exception e)
#pragma warning restore CA1031
        {
            ended.SetException(e);
        }
    }
}
