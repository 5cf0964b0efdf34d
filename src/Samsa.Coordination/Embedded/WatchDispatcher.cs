using System.Threading.Channels;

namespace Samsa.Coordination.Embedded;

/// <summary>
/// The embedded store's one delivery loop, as ZooKeeper's client EventThread: watch events and
/// session state changes are queued under the store's lock in commit order and delivered here, one
/// at a time, outside the lock, so watchers see changes in order and may call back into the store.
/// The queue needs no bound of its own: each queued event consumed a one-shot watch that a read
/// armed, so it never holds more than the watches that were set.
/// <para>
/// A watcher that throws has a bug. Its exception must not stop the others' events, so delivery
/// goes on; the first such exception is kept and rethrown by <see cref="DisposeAsync"/>.
/// </para>
/// Owned by <see cref="EmbeddedCoordinationStore"/>, which starts it at open and awaits it at dispose.
/// </summary>
internal sealed class WatchDispatcher : IAsyncDisposable
{
    private readonly Channel<WatchDelivery> _queue = Channel.CreateUnbounded<WatchDelivery>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly Task _loop;
    private Exception? _firstFailure;

    public WatchDispatcher()
    {
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Queues a delivery; after dispose it is dropped (nobody is listening any more).</summary>
    public void Post(WatchDelivery delivery) => _queue.Writer.TryWrite(delivery);

    /// <summary>Delivers what is queued, stops, and rethrows the first watcher failure, if any.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        if (_firstFailure is not null)
        {
            throw new InvalidOperationException("A coordination watcher threw while processing an event", _firstFailure);
        }
    }

    private async Task RunAsync()
    {
        await foreach (WatchDelivery delivery in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                delivery.Deliver();
            }
#pragma warning disable CA1031 // A watcher's bug must not starve every other watcher; it is rethrown at dispose.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _firstFailure ??= e;
            }
        }
    }
}
