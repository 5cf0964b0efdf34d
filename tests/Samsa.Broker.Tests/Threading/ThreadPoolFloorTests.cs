using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.Threading;

namespace Samsa.Broker.Tests.Threading;

/// <summary>The thread pool's minimum is process-wide: each test puts back what it found.</summary>
public class ThreadPoolFloorTests
{
    [Fact]
    public void Num_io_threads_becomes_the_thread_pools_least_number_of_workers()
    {
        ThreadPool.GetMinThreads(out int workers, out int completion);
        try
        {
            int wanted = Math.Max(workers, Environment.ProcessorCount) + 3;
            ThreadPoolFloor.Apply(wanted);
            ThreadPool.GetMinThreads(out int raised, out int completionAfter);
            Assert.Equal(wanted, raised);
            Assert.Equal(completion, completionAfter);

            // Never below one per core, whatever is configured.
            ThreadPoolFloor.Apply(1);
            ThreadPool.GetMinThreads(out int floor, out _);
            Assert.Equal(Environment.ProcessorCount, floor);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completion);
        }
    }

    [Fact]
    public void A_dynamic_change_of_num_io_threads_resizes_the_floor_at_once()
    {
        ThreadPool.GetMinThreads(out int workers, out int completion);
        try
        {
            int wanted = Math.Max(workers, Environment.ProcessorCount) + 5;
            var floor = new ThreadPoolFloor(NullLogger.Instance);
            floor.Reconfigure(new BrokerOptions { NumIoThreads = 8 }, new BrokerOptions { NumIoThreads = wanted });
            ThreadPool.GetMinThreads(out int raised, out _);
            Assert.Equal(wanted, raised);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completion);
        }
    }
}
