using System.Threading.Channels;

namespace Samsa.Broker.Controller;

/// <summary>
/// The controller's single event loop: every state change (a request from a handler, a watch
/// firing, start-up) runs here one at a time, so controller state needs no locks. The queue is
/// not capped itself: submitters are request handlers, already capped by each connection's
/// in-flight limit, and one-shot watches, each re-armed only after its event ran.
/// </summary>
internal sealed class ControllerLoop : IAsyncDisposable
{
    private readonly Channel<Func<Task>> _work = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _runner;
    private readonly Action<Exception> _onFailure;

    /// <param name="onFailure">Called when a work item throws: a broken invariant, logged by the owner.</param>
    public ControllerLoop(Action<Exception> onFailure)
    {
        _onFailure = onFailure;
        _runner = RunAsync();
    }

    public async Task<T> SubmitAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _work.Writer.WriteAsync(
            async () =>
            {
                try
                {
                    done.TrySetResult(await work().ConfigureAwait(false));
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            },
            cancellationToken).ConfigureAwait(false);
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues work without waiting for it (watch callbacks, which must not block).</summary>
    public void Post(Func<Task> work) => _work.Writer.TryWrite(work);

    private async Task RunAsync()
    {
        await Task.Yield();
        await foreach (Func<Task> work in _work.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await work().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The loop must survive a failed item; the failure is reported, not swallowed.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _onFailure(e);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _work.Writer.TryComplete();
        await _runner.ConfigureAwait(false);
    }
}
