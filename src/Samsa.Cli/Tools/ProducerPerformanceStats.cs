using System.Globalization;

namespace Samsa.Cli.Tools;

/// <summary>
/// The figures of Kafka's ProducerPerformance.Stats, printed in its exact lines: every completed
/// send is recorded with its latency (ms, send to delivery report); a window line every 5 s and a
/// total line with percentiles at the end. As in Kafka, at most 500,000 latencies are kept (every
/// n-th record when there are more) for the percentiles, and MB means 1024 * 1024 bytes.
/// <see cref="Record"/> callers serialize (reports can come from two threads); the count the
/// live status line reads is published with a volatile write. With --warmup-records a second
/// instance counts the steady state (the records sent after the warm-up): it says "In steady
/// state." before its first window line and " steady state" in its total line, and the first
/// instance stops printing window lines once it exists, as in Kafka 4.x.
/// </summary>
internal sealed class ProducerPerformanceStats
{
    private const long ReportingIntervalMs = 5000;
    private const int MaxSamples = 500_000;

    private readonly PerfTestProgress _output;
    private readonly bool _steadyState;
    private readonly long _start;
    private readonly int[] _latencies;
    private readonly long _sampling;
    private long _iteration;
    private int _index;
    private long _count;
    private long _bytes;
    private int _maxLatency;
    private long _totalLatency;
    private long _windowCount;
    private int _windowMaxLatency;
    private long _windowTotalLatency;
    private long _windowBytes;
    private long _windowStart;
    private bool _windowsSuppressed;

    public ProducerPerformanceStats(long numRecords, long nowMs, PerfTestProgress output, bool steadyState = false)
    {
        _output = output;
        _steadyState = steadyState;
        _start = nowMs;
        _windowStart = nowMs;
        _sampling = numRecords / Math.Min(numRecords, MaxSamples);
        _latencies = new int[(int)(numRecords / _sampling) + 1];
    }

    /// <summary>Records acknowledged so far (read by the status line from another thread).</summary>
    public long Count => Volatile.Read(ref _count);

    public void Record(int latency, int bytes, long nowMs)
    {
        Volatile.Write(ref _count, _count + 1);
        _bytes += bytes;
        _totalLatency += latency;
        _maxLatency = Math.Max(_maxLatency, latency);
        _windowCount++;
        _windowBytes += bytes;
        _windowTotalLatency += latency;
        _windowMaxLatency = Math.Max(_windowMaxLatency, latency);
        if (_iteration % _sampling == 0 && _index < _latencies.Length)
        {
            _latencies[_index++] = latency;
        }

        if (nowMs - _windowStart >= ReportingIntervalMs)
        {
            if (_steadyState && _count == _windowCount)
            {
                _output.WriteLine("In steady state.");
            }

            if (!_windowsSuppressed)
            {
                PrintWindow(nowMs);
            }

            _windowStart = nowMs;
            _windowCount = 0;
            _windowMaxLatency = 0;
            _windowTotalLatency = 0;
            _windowBytes = 0;
        }

        _iteration++;
    }

    /// <summary>No more window lines from this instance (the steady-state one prints them from now on).</summary>
    public void SuppressWindows() => _windowsSuppressed = true;

    /// <summary>"N records sent, X records/sec (Y MB/sec), Z ms avg latency, W ms max latency."</summary>
    private void PrintWindow(long nowMs)
    {
        long elapsed = nowMs - _windowStart;
        double recordsPerSec = 1000.0 * _windowCount / elapsed;
        double mbPerSec = 1000.0 * _windowBytes / elapsed / (1024.0 * 1024.0);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_windowCount} records sent, {recordsPerSec:F1} records/sec ({mbPerSec:F2} MB/sec), {_windowTotalLatency / (double)_windowCount:F1} ms avg latency, {(double)_windowMaxLatency:F1} ms max latency."));
    }

    /// <summary>The final line, with the 50th, 95th, 99th and 99.9th percentile latencies.</summary>
    public void PrintTotal(long nowMs)
    {
        long elapsed = nowMs - _start;
        double recordsPerSec = 1000.0 * _count / elapsed;
        double mbPerSec = 1000.0 * _bytes / elapsed / (1024.0 * 1024.0);
        int size = Math.Min(_index, _latencies.Length);
        Array.Sort(_latencies, 0, size);
        _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_count}{(_steadyState ? " steady state" : "")} records sent, {recordsPerSec:F6} records/sec ({mbPerSec:F2} MB/sec), {_totalLatency / (double)_count:F2} ms avg latency, {(double)_maxLatency:F2} ms max latency, {Percentile(size, 0.5)} ms 50th, {Percentile(size, 0.95)} ms 95th, {Percentile(size, 0.99)} ms 99th, {Percentile(size, 0.999)} ms 99.9th."));
    }

    private int Percentile(int size, double percentile) => _latencies[(int)(percentile * size)];
}
