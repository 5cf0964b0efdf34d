using System.Threading.Channels;
using Samsa.Coordination;

namespace Samsa.Coordination.Tests;

/// <summary>Records the events it is given, in order, for a test to await.</summary>
internal sealed class RecordingWatcher : IWatcher
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Channel<WatchEvent> _events = Channel.CreateUnbounded<WatchEvent>();

    public void Process(WatchEvent e) => _events.Writer.TryWrite(e);

    public async Task<WatchEvent> NextAsync()
    {
        using CancellationTokenSource timeout = new(Timeout);
        return await _events.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>True if an event is already queued; for "nothing more fired" checks after a barrier.</summary>
    public bool TryNext(out WatchEvent e) => _events.Reader.TryRead(out e);
}
