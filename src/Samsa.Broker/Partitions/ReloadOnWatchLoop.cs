using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Samsa.Coordination;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The loop behind a config watcher (<see cref="TopicConfigWatcher"/>, <see cref="BrokerConfigWatcher"/>):
/// watch events, and a new session (which has none of the old one's watches), only signal it; one
/// loop, owned by this object and ended by <see cref="DisposeAsync"/>, runs the watcher's reload for
/// them one at a time, and signals that come during a reload make one more. A reload that fails
/// (on the store, or anything else) is tried again a second later, then ever more slowly up to
/// half a minute while it keeps failing (its next successful read sets the watches again).
/// </summary>
internal sealed partial class ReloadOnWatchLoop : IWatcher, IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private readonly ICoordinationStore _store;
    private readonly Func<CancellationToken, Task> _reload;
    private readonly string _what;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    /// <param name="store">The store whose sessions are followed; pass this object as the watcher of the reads to follow.</param>
    /// <param name="reload">Reads again (setting the watches again) and applies what changed.</param>
    /// <param name="what">What <paramref name="reload"/> reads, for the log line of a failed read.</param>
    public ReloadOnWatchLoop(ICoordinationStore store, Func<CancellationToken, Task> reload, string what, TimeProvider time, ILogger logger)
    {
        _store = store;
        _reload = reload;
        _what = what;
        _time = time;
        _logger = logger;
        _store.SessionStateChanged += OnSessionStateChanged;
    }

    /// <summary>Starts the loop; a signal that came before runs the reload at once.</summary>
    public void Start() => _loop = RunAsync(_stopping.Token);

    /// <summary>Asks for a reload (one more, if one is running).</summary>
    public void Signal() => _signals.Writer.TryWrite(true);

    void IWatcher.Process(WatchEvent e) => Signal();

    private void OnSessionStateChanged(object? sender, SessionState state)
    {
        if (state == SessionState.Connected)
        {
            Signal();
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        TimeSpan retryAfter = FirstRetry;
        try
        {
            while (await _signals.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                _signals.Reader.TryRead(out _);
                try
                {
                    await _reload(stopping).ConfigureAwait(false);
                    retryAfter = FirstRetry;
                }
#pragma warning disable CA1031 // Any failure (the store's, or a config that does not apply) is retried: the loop must not end while the broker runs.
                catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    // A lost connection heals within a second or so; a failure that stays (a config
                    // that cannot apply) is retried ever more slowly rather than logged every second,
                    // but a change (a signal: the operator's fix) is read at once.
                    LogReloadFailed(_logger, _what, retryAfter.TotalSeconds, e);
                    await RetryPauseAsync(retryAfter, stopping).ConfigureAwait(false);
                    retryAfter = retryAfter * 2 < LastRetry ? retryAfter * 2 : LastRetry;
                    Signal();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits <paramref name="pause"/> or until the next signal, whichever comes first.</summary>
    private async Task RetryPauseAsync(TimeSpan pause, CancellationToken stopping)
    {
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Task delay = Task.Delay(pause, _time, ended.Token);
        Task signal = _signals.Reader.WaitToReadAsync(ended.Token).AsTask();
        await Task.WhenAny(delay, signal).ConfigureAwait(false);
        await ended.CancelAsync().ConfigureAwait(false);
        stopping.ThrowIfCancellationRequested();
    }

    public async ValueTask DisposeAsync()
    {
        _store.SessionStateChanged -= OnSessionStateChanged;
        _signals.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading {What} failed; retrying in {Seconds} s.")]
    private static partial void LogReloadFailed(ILogger logger, string what, double seconds, Exception exception);
}
