using Samsa.Broker.Network;

namespace Samsa.Broker.Tests.Network;

public sealed class RequestBudgetTests
{
    private const int Small = 100;
    private const int Large = RequestBudget.SmallRequestBytes + 1;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Queued_max_requests_stops_further_requests_of_busy_connections()
    {
        var budget = new RequestBudget(maxRequests: 2, maxBytes: -1);

        Assert.True(budget.TryAcquire(Small, connectionIdle: false));
        Assert.True(budget.TryAcquire(Small, connectionIdle: false));
        Assert.False(budget.TryAcquire(Small, connectionIdle: false));
        Assert.Equal(2, budget.Requests);

        budget.Release(Small);
        Assert.True(budget.TryAcquire(Small, connectionIdle: false));
    }

    [Fact]
    public void A_connection_with_nothing_in_a_handler_always_starts_a_small_request()
    {
        var budget = new RequestBudget(maxRequests: 1, maxBytes: 1000);
        Assert.True(budget.TryAcquire(2000, connectionIdle: false));

        // Full on both counts, yet a heartbeat or fetch from an otherwise quiet connection goes on,
        // so requests parked in handlers cannot starve the requests they wait for.
        Assert.True(budget.TryAcquire(Small, connectionIdle: true));
        Assert.False(budget.TryAcquire(Large, connectionIdle: true));
        Assert.False(budget.TryAcquire(Small, connectionIdle: false));
        Assert.Equal(2, budget.Requests);
        Assert.Equal(2000 + Small, budget.Bytes);
    }

    [Fact]
    public void Queued_max_request_bytes_admits_while_below_the_cap_so_one_request_may_overshoot_it()
    {
        var budget = new RequestBudget(maxRequests: 500, maxBytes: 1000);

        Assert.True(budget.TryAcquire(900, connectionIdle: false));
        Assert.True(budget.TryAcquire(Large, connectionIdle: false)); // 900 < 1000: admitted, overshoots
        Assert.False(budget.TryAcquire(1, connectionIdle: false));

        budget.Release(Large);
        Assert.True(budget.TryAcquire(1, connectionIdle: false));
    }

    [Fact]
    public void A_non_positive_byte_cap_means_no_byte_limit()
    {
        var budget = new RequestBudget(maxRequests: 3, maxBytes: -1);

        for (int i = 0; i < 3; i++)
        {
            Assert.True(budget.TryAcquire(int.MaxValue, connectionIdle: false));
        }

        Assert.Equal(3L * int.MaxValue, budget.Bytes);
    }

    [Fact]
    public async Task A_waiting_request_is_admitted_when_another_finishes()
    {
        var budget = new RequestBudget(maxRequests: 1, maxBytes: -1);
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.True(budget.TryAcquire(Small, connectionIdle: false));

        Task waiting = budget.AcquireAsync(Small, () => false, timeout.Token).AsTask();
        Assert.False(waiting.IsCompleted);

        budget.Release(Small);
        await waiting.WaitAsync(timeout.Token);
        Assert.Equal(1, budget.Requests);
    }

    [Fact]
    public async Task A_waiting_connection_whose_own_handlers_finish_becomes_exempt()
    {
        var budget = new RequestBudget(maxRequests: 1, maxBytes: -1);
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.True(budget.TryAcquire(Small, connectionIdle: false)); // another connection's parked request
        bool idle = false;
        Assert.True(budget.TryAcquire(Small, connectionIdle: true)); // this connection's first request

        Task waiting = budget.AcquireAsync(Small, () => Volatile.Read(ref idle), timeout.Token).AsTask();
        Assert.False(waiting.IsCompleted);

        Volatile.Write(ref idle, true); // its own request finishes...
        budget.Release(Small);          // ...and gives back what it took
        await waiting.WaitAsync(timeout.Token);
        Assert.Equal(2, budget.Requests); // the parked one still holds its slot
    }
}
