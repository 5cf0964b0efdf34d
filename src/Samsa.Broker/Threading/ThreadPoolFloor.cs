using Microsoft.Extensions.Logging;
using Samsa.Broker.Configuration;

namespace Samsa.Broker.Threading;

/// <summary>
/// <c>num.io.threads</c> as the number of worker threads the .NET thread pool may start without
/// delay (<see cref="ThreadPool.SetMinThreads"/>), applied at start-up and on a dynamic change, as
/// Kafka resizes its request handler pool. Handlers run on the pool and block in disk writes: a
/// <c>pwrite</c> waits tens of milliseconds when the kernel throttles dirty pages. With the
/// runtime's minimum of one thread per core, two blocked handlers on a two-core machine left no
/// thread to read the sockets, and past its minimum the pool adds a thread only about every half
/// second (docs/benchmarks.md "Produce stalls: the thread pool"). Threads are started only when
/// work waits, and idle ones still retire. Never below one per core, nor below the minimum the
/// process had before the first change (a runtimeconfig setting, a host's own); with several
/// brokers in one process the last change wins.
/// </summary>
internal sealed partial class ThreadPoolFloor(ILogger logger) : IBrokerReconfigurable
{
    private static readonly int BaselineWorkers = ReadMinWorkers();

    /// <summary>Sets the pool's minimum from <paramref name="numIoThreads"/>; false when the pool refused it (above its maximum).</summary>
    public static bool Apply(int numIoThreads)
    {
        ThreadPool.GetMinThreads(out _, out int completionThreads);
        return ThreadPool.SetMinThreads(WorkersFor(numIoThreads), completionThreads);
    }

    /// <summary>Applies <paramref name="numIoThreads"/> and says so (a refusal as a warning).</summary>
    public void ApplyAndLog(int numIoThreads)
    {
        int workers = WorkersFor(numIoThreads);
        if (Apply(numIoThreads))
        {
            LogFloorSet(logger, numIoThreads, workers);
        }
        else
        {
            ThreadPool.GetMaxThreads(out int maxWorkers, out _);
            LogFloorRefused(logger, numIoThreads, maxWorkers);
        }
    }

    public void Reconfigure(BrokerOptions previous, BrokerOptions current)
    {
        if (previous.NumIoThreads != current.NumIoThreads)
        {
            ApplyAndLog(current.NumIoThreads);
        }
    }

    private static int WorkersFor(int numIoThreads) => Math.Max(Math.Max(Environment.ProcessorCount, BaselineWorkers), numIoThreads);

    private static int ReadMinWorkers()
    {
        ThreadPool.GetMinThreads(out int workers, out _);
        return workers;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "num.io.threads={NumIoThreads}: the thread pool starts up to {Workers} worker threads without delay")]
    private static partial void LogFloorSet(ILogger logger, int numIoThreads, int workers);

    [LoggerMessage(Level = LogLevel.Warning, Message = "num.io.threads={NumIoThreads} is above the thread pool's maximum of {MaxWorkers} worker threads; the pool's minimum is unchanged")]
    private static partial void LogFloorRefused(ILogger logger, int numIoThreads, int maxWorkers);
}
