namespace Samsa.Cli.Tools;

/// <summary>
/// The perf-test tools' output: result lines on stdout, and — only when stderr is a terminal — a
/// live status line on stderr, redrawn in place twice a second and erased before each result line
/// so the two never interleave. Redirected output never sees the status line, so it stays exactly
/// Kafka's lines.
/// </summary>
internal sealed class PerfTestProgress : IDisposable
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(500);

    private readonly Lock _lock = new();
    private readonly Func<string>? _status;
    private readonly Timer? _timer;
    private bool _shown;
    private bool _disposed;

    /// <param name="status">The status text; called on a timer thread, so it reads counters only.</param>
    public PerfTestProgress(Func<string> status)
    {
        if (Console.IsErrorRedirected)
        {
            return;
        }

        _status = status;
        _timer = new Timer(static state => ((PerfTestProgress)state!).Redraw(), this, RedrawInterval, RedrawInterval);
    }

    /// <summary>Prints one result line on stdout, erasing the status line first.</summary>
    public void WriteLine(string line)
    {
        lock (_lock)
        {
            Erase();
            Console.Out.Write(line + "\n");
            Console.Out.Flush();
        }
    }

    /// <summary>Prints one line on stderr (an error), erasing the status line first.</summary>
    public void WriteError(string line)
    {
        lock (_lock)
        {
            Erase();
            Console.Error.Write(line + "\n");
            Console.Error.Flush();
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        lock (_lock)
        {
            _disposed = true;
            Erase();
        }
    }

    private void Redraw()
    {
        lock (_lock)
        {
            if (_disposed || _status is null)
            {
                return;
            }

            // \r back to column 0, ESC[K clears what a longer previous line left behind.
            Console.Error.Write("\r" + _status() + "\u001b[K");
            Console.Error.Flush();
            _shown = true;
        }
    }

    private void Erase()
    {
        if (_shown)
        {
            Console.Error.Write("\r\u001b[K");
            Console.Error.Flush();
            _shown = false;
        }
    }
}
