using System.Net;
using Samsa.Broker.Network;

namespace Samsa.Broker.Tests.Network;

public sealed class ConnectionQuotasTests
{
    private static readonly IPAddress ClientA = IPAddress.Parse("10.0.0.1");
    private static readonly IPAddress ClientB = IPAddress.Parse("10.0.0.2");
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static ConnectionQuotas Quotas(int max = int.MaxValue, int perIp = int.MaxValue, Dictionary<IPAddress, int>? overrides = null, string? protectedListener = null) =>
        new(max, perIp, overrides ?? [], protectedListener);

    [Fact]
    public async Task An_address_at_its_limit_is_refused_and_a_closed_connection_makes_room()
    {
        ConnectionQuotas quotas = Quotas(perIp: 2);
        using var timeout = new CancellationTokenSource(Timeout);

        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
        Assert.False(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientB, timeout.Token)); // another address is not affected
        Assert.Equal(2, quotas.CountFor(ClientA));
        Assert.Equal(3, quotas.Total); // a refusal is not counted

        quotas.Remove(ClientA);
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
    }

    [Fact]
    public async Task An_override_replaces_the_default_for_its_address_and_zero_refuses_it()
    {
        ConnectionQuotas quotas = Quotas(perIp: 1, overrides: new() { [ClientA] = 3, [ClientB] = 0 });
        using var timeout = new CancellationTokenSource(Timeout);

        for (int i = 0; i < 3; i++)
        {
            Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
        }

        Assert.False(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
        Assert.False(await quotas.AdmitAsync("PLAINTEXT", ClientB, timeout.Token));
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", IPAddress.Parse("10.0.0.3"), timeout.Token));
        Assert.Equal(3, quotas.LimitFor(ClientA));
        Assert.Equal(1, quotas.LimitFor(IPAddress.Parse("10.0.0.3")));
    }

    [Fact]
    public async Task Changed_limits_apply_to_new_connections_and_wake_a_waiting_acceptor()
    {
        ConnectionQuotas quotas = Quotas(max: 1, perIp: 1);
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
        quotas.Remove(ClientA);
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));

        // At max.connections the acceptor waits; raising the limit lets it in without a close.
        ValueTask<bool> waiting = quotas.AdmitAsync("PLAINTEXT", ClientB, timeout.Token);
        Assert.False(waiting.IsCompleted);
        quotas.UpdateLimits(4, 2, new Dictionary<IPAddress, int> { [ClientB] = 1 });
        Assert.True(await waiting);

        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token)); // per-IP 1 -> 2
        Assert.False(await quotas.AdmitAsync("PLAINTEXT", ClientB, timeout.Token)); // its override is 1
        Assert.Equal(2, quotas.LimitFor(ClientA));
        Assert.Equal(3, quotas.Total);

        // Lowering a limit closes nothing that is open; it refuses what comes next.
        quotas.UpdateLimits(4, 1, new Dictionary<IPAddress, int>());
        Assert.Equal(2, quotas.CountFor(ClientA));
        Assert.False(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
    }

    [Fact]
    public async Task An_IPv4_client_on_a_dual_mode_listener_counts_as_its_IPv4_address()
    {
        ConnectionQuotas quotas = Quotas(perIp: 1);
        using var timeout = new CancellationTokenSource(Timeout);

        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA.MapToIPv6(), timeout.Token));
        Assert.False(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
        quotas.Remove(ClientA);
        Assert.Equal(0, quotas.Total);
    }

    [Fact]
    public async Task At_max_connections_admission_waits_until_a_connection_closes()
    {
        ConnectionQuotas quotas = Quotas(max: 2);
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientB, timeout.Token));

        Task<bool> third = quotas.AdmitAsync("PLAINTEXT", ClientB, timeout.Token).AsTask();
        Assert.False(third.IsCompleted); // waits, is not refused

        quotas.Remove(ClientA);
        Assert.True(await third.WaitAsync(timeout.Token));
        Assert.Equal(2, quotas.Total);
    }

    [Fact]
    public async Task The_inter_broker_listener_is_exempt_from_max_connections_but_still_counted()
    {
        ConnectionQuotas quotas = Quotas(max: 1, protectedListener: "INTERNAL");
        using var timeout = new CancellationTokenSource(Timeout);
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token));

        Assert.True(await quotas.AdmitAsync("INTERNAL", ClientB, timeout.Token));
        Assert.True(await quotas.AdmitAsync("INTERNAL", ClientB, timeout.Token));
        Assert.Equal(3, quotas.Total);

        // Client listeners wait until the total, inter-broker connections included, is below the limit.
        Task<bool> client = quotas.AdmitAsync("PLAINTEXT", ClientA, timeout.Token).AsTask();
        quotas.Remove(ClientA);
        quotas.Remove(ClientB);
        Assert.False(client.IsCompleted);
        quotas.Remove(ClientB);
        Assert.True(await client.WaitAsync(timeout.Token));
    }

    [Fact]
    public async Task A_wait_for_a_slot_ends_when_the_server_stops()
    {
        ConnectionQuotas quotas = Quotas(max: 1);
        using var stopping = new CancellationTokenSource();
        Assert.True(await quotas.AdmitAsync("PLAINTEXT", ClientA, stopping.Token));

        Task<bool> waiting = quotas.AdmitAsync("PLAINTEXT", ClientA, stopping.Token).AsTask();
        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, quotas.Total);
    }

    [Fact]
    public void Override_host_names_resolve_to_every_address_of_the_host()
    {
        Dictionary<IPAddress, int> resolved = ConnectionQuotas.ResolveOverrides(new Dictionary<string, int> { ["localhost"] = 7, ["10.0.0.9"] = 2 });

        Assert.Equal(7, resolved[IPAddress.Loopback]);
        Assert.Equal(2, resolved[IPAddress.Parse("10.0.0.9")]);
    }
}
