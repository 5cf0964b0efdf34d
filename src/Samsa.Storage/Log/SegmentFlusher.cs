using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Samsa.Storage.Log;

/// <summary>
/// Runs the fsync of segments sealed by a roll off the appending thread, one log at a time, as
/// Kafka schedules its "flush-log" task (UnifiedLog.roll → flushUptoOffsetExclusive(new segment
/// base) on the background scheduler): at segment.bytes = 1 GiB that fsync can take seconds, and
/// a producer must not wait for it. A log asks at most once until its flush starts (later rolls
/// raise the target of the pending one). One per log dir (<see cref="LogDirectory"/>), so fsyncs
/// to one disk queue rather than pile up; logs opened on their own share <see cref="Shared"/>.
/// <para>
/// What stays true (see <see cref="PartitionLog.FlushUpTo"/>): the recovery point moves only after
/// the fsync returned, so a crash before it recovers from the old point; the flush runs under the
/// log's flush lock like any other, so truncation, retention, compaction, close and delete wait
/// for a running one, and one that starts after them finds the segment gone or the log closed
/// and does nothing; <see cref="Dispose"/> waits for every queued flush (a clean shutdown).
/// </para>
/// <para>
/// The flusher has its own thread, as Kafka's scheduler does, never a thread-pool thread: that
/// fsync blocks for seconds, and on two cores a pool thread held that long starved the pool, which
/// adds threads only every half second or so, so every connection's requests waited (produce
/// maxima of 0.6-1 s at each roll under sustained load; docs/benchmarks.md "Produce stalls:
/// the thread pool").
/// </para>
/// </summary>
public sealed partial class SegmentFlusher : IDisposable
{
    // A monitor (Wait/Pulse need an object, not a Lock), not a channel: a channel wakes its
    // reader through the thread pool, which this thread exists to stay independent of.
    private readonly object _lock = new();
    private readonly Queue<PartitionLog> _queue = new();
    private readonly ILogger _logger;
    private readonly Thread _worker;
    private bool _completed;
    private ExceptionDispatchInfo? _failure;

    /// <param name="logger">Where a roll flush that failed past the log's own handling says so; none by default.</param>
    public SegmentFlusher(ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _worker = new Thread(Run) { IsBackground = true, Name = "segment flusher" };
        _worker.Start();
    }

    /// <summary>The flusher of logs opened without a log dir (tools, tests); it lives as long as the process.</summary>
    internal static SegmentFlusher Shared { get; } = new();

    /// <summary>Queues a roll flush of <paramref name="log"/>; false once disposed (the log's own close then flushes).</summary>
    internal bool Schedule(PartitionLog log)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return false;
            }

            _queue.Enqueue(log);
            Monitor.Pulse(_lock);
            return true;
        }
    }

    /// <summary>Takes no more flushes and waits until the queued ones are done; rethrows what stopped the thread, if anything did.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _completed = true;
            Monitor.Pulse(_lock);
        }

        _worker.Join();
        _failure?.Throw();
    }

    private void Run()
    {
        try
        {
            while (TryTake(out PartitionLog? log))
            {
                try
                {
                    log.RunRollFlush();
                }
                catch (Exception e)
                {
                    // RunRollFlush keeps its own failures in, but a WentOffline handler it calls can
                    // throw: that must not end the thread (later rolls' flushes would never run).
                    LogRollFlushFailed(_logger, e, log.TopicPartition.ToString());
                }
            }
        }
#pragma warning disable CA1031 // Escaping a dedicated thread would end the process: kept for Dispose to rethrow.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _failure = ExceptionDispatchInfo.Capture(e);
        }
    }

    /// <summary>The next queued log; false once disposed and the queue is empty.</summary>
    private bool TryTake([NotNullWhen(true)] out PartitionLog? log)
    {
        lock (_lock)
        {
            while (_queue.Count == 0 && !_completed)
            {
                Monitor.Wait(_lock);
            }

            return _queue.TryDequeue(out log);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The background flush of {Partition} after a roll failed; the flusher goes on with the other logs")]
    private static partial void LogRollFlushFailed(ILogger logger, Exception exception, string partition);
}
