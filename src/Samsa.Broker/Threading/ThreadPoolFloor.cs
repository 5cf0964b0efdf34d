using Microsoft.Extensions.Logging;
using Samsa.Broker.Configuration;

namespace Samsa.Broker.Threading;

/// <summary>
/// <c>num.io.threads</c> as the least number of worker threads the .NET thread pool keeps ready
/// (<see cref="ThreadPool.SetMinThreads"/>), applied at start-up and on a dynamic change, as Kafka
/// resizes its request handler pool. Handlers run on the pool and block in disk writes: a
/// <c>pwrite</c> waits tens of milliseconds when the kernel throttles dirty pages. With the
/// runtime's minimum of one thread per core, two blocked handlers on a two-core machine left no
/// thread to read the sockets, and past its minimum the pool adds a thread only about every half
/// second: produce maxima of 0.6-1 s under sustained load, against under 0.15 s with Kafka's
/// default of 8 (docs/benchmarks.md "Produce stalls: the thread pool"). The floor only makes
/// threads available when work is waiting; an idle pool still lets them go.
/// </summary>
internal sealed partial class ThreadPoolFloor(ILogger logger) : IBrokerReconfigurable
{
    /// <summary>Raises the pool's minimum to <paramref name="numIoThreads"/>; never below one per core.</summary>
    public static void Apply(int numIoThreads)
    {
        ThreadPool.GetMinThreads(out _, out int completionThreads);
        ThreadPool.SetMinThreads(Math.Max(Environment.ProcessorCount, numIoThreads), completionThreads);
    }

    public void Reconfigure(BrokerOptions previous, BrokerOptions current)
    {
        if (previous.NumIoThreads == current.NumIoThreads)
        {
            return;
        }

        Apply(current.NumIoThreads);
        ThreadPool.GetMinThreads(out int workers, out _);
        LogFloorChanged(logger, current.NumIoThreads, workers);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "num.io.threads changed to {NumIoThreads}: the thread pool keeps at least {Workers} worker threads ready")]
    private static partial void LogFloorChanged(ILogger logger, int numIoThreads, int workers);
}
