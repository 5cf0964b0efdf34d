using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// The client's one delivery loop, as the Java client's EventThread: watch events (in the order
/// the server sent them) and session state changes are queued by the connection and delivered
/// here one at a time, off the socket's receive loop, so a watcher may call back into the client.
/// The queue needs no bound: each watch event consumed a one-shot watch a read armed.
/// A watcher that throws has a bug; it is logged and the others still get their events.
/// </summary>
internal sealed class ZooKeeperEventLoop : IAsyncDisposable
{
    private readonly Channel<Delivery> _queue = Channel.CreateUnbounded<Delivery>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });

    private readonly Action<SessionState> _raiseStateChanged;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private bool _delivering;

    public ZooKeeperEventLoop(Action<SessionState> raiseStateChanged, ILogger logger)
    {
        _raiseStateChanged = raiseStateChanged;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    public void Post(IWatcher[] watchers, WatchEvent e) => _queue.Writer.TryWrite(new Delivery(watchers, e, default));

    public void PostStateChange(SessionState state) => _queue.Writer.TryWrite(new Delivery(null, default, state));

    /// <summary>
    /// Delivers what is queued, then stops. Called while a callback runs (a handler of Expired that
    /// disposes the client, perhaps blocking on it), it only stops the loop: waiting for the loop
    /// from inside it would never end.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (!Volatile.Read(ref _delivering))
        {
            await _loop.ConfigureAwait(false);
        }
    }

    private async Task RunAsync()
    {
        await foreach (Delivery delivery in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (delivery.Watchers is null)
            {
                Deliver(null, delivery.Event, delivery.State);
                continue;
            }

            foreach (IWatcher watcher in delivery.Watchers)
            {
                Deliver(watcher, delivery.Event, delivery.State);
            }
        }
    }

    private void Deliver(IWatcher? watcher, WatchEvent e, SessionState state)
    {
        Volatile.Write(ref _delivering, true);
        try
        {
            if (watcher is null)
            {
                _raiseStateChanged(state);
            }
            else
            {
                watcher.Process(e);
            }
        }
#pragma warning disable CA1031 // A watcher's bug must not starve every other watcher.
        catch (Exception failure)
#pragma warning restore CA1031
        {
            ZooKeeperLog.WatcherFailed(_logger, e.Type, e.Path, failure);
        }
        finally
        {
            Volatile.Write(ref _delivering, false);
        }
    }

    private readonly record struct Delivery(IWatcher[]? Watchers, WatchEvent Event, SessionState State);
}
