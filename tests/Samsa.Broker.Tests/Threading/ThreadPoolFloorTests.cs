using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.Threading;

namespace Samsa.Broker.Tests.Threading;

/// <summary>
/// The thread pool's minimum is process-wide and brokers started by other tests set it too: these
/// run alone (<see cref="ThreadPoolSettingsCollection"/>) and put back what they found.
/// </summary>
[Collection(nameof(ThreadPoolSettingsCollection))]
public class ThreadPoolFloorTests
{
    [Fact]
    public void Num_io_threads_sets_how_many_workers_the_pool_starts_without_delay_never_fewer_than_one_per_core()
    {
        ThreadPool.GetMinThreads(out int workers, out int completion);
        try
        {
            int wanted = Math.Max(workers, Environment.ProcessorCount) + 3;
            Assert.True(ThreadPoolFloor.Apply(wanted));
            ThreadPool.GetMinThreads(out int raised, out int completionAfter);
            Assert.Equal(wanted, raised);
            Assert.Equal(completion, completionAfter);

            Assert.True(ThreadPoolFloor.Apply(1));
            ThreadPool.GetMinThreads(out int lowered, out _);
            Assert.InRange(lowered, Environment.ProcessorCount, wanted - 1);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completion);
        }
    }

    [Fact]
    public void A_value_above_the_pools_maximum_is_refused_and_changes_nothing()
    {
        ThreadPool.GetMinThreads(out int workers, out int completion);
        ThreadPool.GetMaxThreads(out int maxWorkers, out _);
        try
        {
            Assert.False(ThreadPoolFloor.Apply(maxWorkers + 1));
            ThreadPool.GetMinThreads(out int after, out _);
            Assert.Equal(workers, after);
        }
        finally
        {
            ThreadPool.SetMinThreads(workers, completion);
        }
    }

    [Fact]
    public void A_dynamic_change_of_num_io_threads_applies_at_once()
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

[CollectionDefinition(nameof(ThreadPoolSettingsCollection), DisableParallelization = true)]
public sealed class ThreadPoolSettingsCollection;
