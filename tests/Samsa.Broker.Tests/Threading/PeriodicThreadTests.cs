using Samsa.Broker.Threading;

namespace Samsa.Broker.Tests.Threading;

public class PeriodicThreadTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Ticks_on_a_named_thread_of_its_own_and_ends_when_cancelled()
    {
        using var stopping = new CancellationTokenSource();
        using var ticked = new CountdownEvent(3);
        Thread? tickThread = null;
        Task loop = PeriodicThread.Start("test loop", TimeSpan.FromMilliseconds(5), TimeProvider.System, () =>
        {
            tickThread = Thread.CurrentThread;
            if (!ticked.IsSet)
            {
                ticked.Signal();
            }
        }, stopping.Token);

        Assert.True(ticked.Wait(Bound), "the loop did not tick three times");
        Assert.False(tickThread!.IsThreadPoolThread);
        Assert.Equal("test loop", tickThread.Name);

        await stopping.CancelAsync();
        await loop.WaitAsync(Bound);
        Assert.True(loop.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task What_a_tick_throws_faults_the_loop_as_an_async_loop_would()
    {
        using var stopping = new CancellationTokenSource();
        Task loop = PeriodicThread.Start("failing loop", TimeSpan.FromMilliseconds(5), TimeProvider.System, () => throw new InvalidOperationException("tick failed"), stopping.Token);

        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => loop.WaitAsync(Bound));
        Assert.Equal("tick failed", e.Message);
    }
}
