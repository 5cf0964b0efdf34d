using System.Collections.Concurrent;
using System.Globalization;

namespace Samsa.Fuzzer;

/// <summary>
/// Watches the broker process from outside: whether it is still running, its resident memory
/// (VmRSS in /proc/&lt;pid&gt;/status) sampled every 200 ms, and every log line: ERROR and FATAL
/// lines, unhandled exceptions and stack traces are findings; WARN lines are counted.
/// </summary>
internal sealed class BrokerWatch : IAsyncDisposable
{
    private const int MaxKeptLines = 50;
    private const int TailLines = 60;
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);

    private readonly int _pid;
    private readonly Func<bool> _isRunning;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<string> _findings = new();
    private readonly ConcurrentQueue<string> _warnings = new();
    private readonly ConcurrentQueue<string> _tail = new();
    private long _maxOpenFiles;
    private readonly Task _sampling;
    private long _maxRssBytes;
    private long _lastRssBytes;
    private long _warnCount;
    private long _infoCount;
    private volatile bool _exited;

    public BrokerWatch(int pid, Func<bool> isRunning)
    {
        _pid = pid;
        _isRunning = isRunning;
        _sampling = SampleAsync(_stopping.Token);
    }

    public bool Exited => _exited;

    public long MaxRssBytes => Interlocked.Read(ref _maxRssBytes);

    public long LastRssBytes => Interlocked.Read(ref _lastRssBytes);

    /// <summary>The most file descriptors (sockets, segments, indexes) the broker had open at once.</summary>
    public long MaxOpenFiles => Interlocked.Read(ref _maxOpenFiles);

    /// <summary>The last lines the broker wrote (its shutdown, when it does not finish).</summary>
    public IReadOnlyList<string> Tail => [.. _tail];

    public long WarnLines => Interlocked.Read(ref _warnCount);

    public long InfoLines => Interlocked.Read(ref _infoCount);

    /// <summary>The first ERROR/FATAL/exception lines (a few, for the report).</summary>
    public IReadOnlyList<string> Findings => [.. _findings];

    public IReadOnlyList<string> Warnings => [.. _warnings];

    /// <summary>Fed every broker log line.</summary>
    public void OnLine(string line)
    {
        _tail.Enqueue(line);
        while (_tail.Count > TailLines && _tail.TryDequeue(out _))
        {
        }

        if (line.Contains("] INFO ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _infoCount);
        }
        else if (line.Contains("] WARN ", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _warnCount);
            Keep(_warnings, line);
        }
        else if (line.Contains("] ERROR ", StringComparison.Ordinal) || line.Contains("] FATAL ", StringComparison.Ordinal)
            || line.Contains("Unhandled exception", StringComparison.Ordinal) || line.StartsWith("   at ", StringComparison.Ordinal)
            || line.Contains("Exception: ", StringComparison.Ordinal))
        {
            Keep(_findings, line);
        }
    }

    /// <summary>Samples memory once more now (the last figures, after the run).</summary>
    public void SampleNow()
    {
        long rss = ReadRssBytes(_pid);
        if (rss > 0)
        {
            Interlocked.Exchange(ref _lastRssBytes, rss);
            long max;
            while (rss > (max = Interlocked.Read(ref _maxRssBytes)) && Interlocked.CompareExchange(ref _maxRssBytes, rss, max) != max)
            {
            }
        }

        long files = CountOpenFiles(_pid);
        long maxFiles;
        while (files > (maxFiles = Interlocked.Read(ref _maxOpenFiles)) && Interlocked.CompareExchange(ref _maxOpenFiles, files, maxFiles) != maxFiles)
        {
        }

        if (!_isRunning())
        {
            _exited = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task SampleAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            do
            {
                SampleNow();
            }
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Keep(ConcurrentQueue<string> queue, string line)
    {
        if (queue.Count < MaxKeptLines)
        {
            queue.Enqueue(line);
        }
    }

    private static long CountOpenFiles(int pid)
    {
        try
        {
            return Directory.GetFiles($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd").Length;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>VmRSS from /proc (Linux); 0 if the process is gone or the file is not there.</summary>
    private static long ReadRssBytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }
}
