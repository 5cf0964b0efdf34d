using Microsoft.Extensions.Logging.Abstractions;

namespace Samsa.Broker.Tests;

/// <summary>A part that fails to stop never keeps the later parts (the logs above all) from stopping.</summary>
public sealed class ShutdownSequenceTests
{
    [Fact]
    public async Task A_failing_step_is_reported_at_the_end_after_every_later_step_ran()
    {
        var ran = new List<string>();
        var steps = new ShutdownSequence(1, NullLogger.Instance);
        await steps.RunAsync("replication", () => ValueTask.FromException(new OperationCanceledException("the controller stopped first")));
        await steps.RunAsync("config watcher", async ValueTask () =>
        {
            // Fails only after it went asynchronous: the step is awaited, not just started.
            await Task.Yield();
            throw new InvalidOperationException("broken watcher");
        });
        await steps.RunAsync("maintenance", () => Task.FromException(new IOException("disk gone")));
        steps.Run("logs", () => ran.Add("logs"));
        await steps.RunAsync("coordination session", () =>
        {
            ran.Add("coordination session");
            return ValueTask.CompletedTask;
        });

        Assert.Equal(["logs", "coordination session"], ran);
        Assert.Equal(3, steps.FailedCount);
        AggregateException failed = Assert.Throws<AggregateException>(steps.ThrowIfAnyFailed);
        Assert.Collection(
            failed.InnerExceptions,
            e => Assert.IsType<OperationCanceledException>(e),
            e => Assert.Equal("broken watcher", e.Message),
            e => Assert.IsType<IOException>(e));
    }

    [Fact]
    public async Task Steps_that_all_succeed_end_without_an_exception()
    {
        var steps = new ShutdownSequence(1, NullLogger.Instance);
        int ran = 0;
        steps.Run("network", () => ran++);
        await steps.RunAsync("logs", async Task () =>
        {
            await Task.Yield();
            ran++;
        });

        steps.ThrowIfAnyFailed();
        Assert.Equal(0, steps.FailedCount);
        Assert.Equal(2, ran);
    }
}
