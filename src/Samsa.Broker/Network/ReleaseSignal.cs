namespace Samsa.Broker.Network;

/// <summary>
/// Wakes tasks waiting for some capacity to be given back (a connection closed, a request
/// finished). Waiters take <see cref="Next"/> before re-checking their condition, so a release
/// between the check and the wait is never missed. Releasing with nobody waiting allocates nothing.
/// </summary>
internal sealed class ReleaseSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _waiting;

    /// <summary>A task that completes at the next <see cref="Release"/>.</summary>
    public Task Next()
    {
        lock (_gate)
        {
            return (_waiting ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    public void Release()
    {
        TaskCompletionSource? waiting;
        lock (_gate)
        {
            waiting = _waiting;
            _waiting = null;
        }

        waiting?.TrySetResult();
    }
}
