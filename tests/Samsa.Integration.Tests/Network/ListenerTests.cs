using Samsa.Testing;

namespace Samsa.Integration.Tests.Network;

/// <summary>Listeners bind their port alone, and a restarted broker gets its port back.</summary>
public sealed class ListenerTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_second_broker_cannot_bind_a_port_in_use()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess first = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);

        // The later override wins over the fixture's port 0 listener.
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(
            () => BrokerProcess.StartAsync(["listeners=PLAINTEXT://127.0.0.1:" + first.Port], timeout.Token));
        Assert.Contains("Address already in use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broker_stopped_with_SIGTERM_exits_cleanly_and_restarts_on_its_port()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        int port = broker.Port;

        Assert.Equal(0, await broker.StopAsync(timeout.Token));
        Assert.Contains("[KafkaServer id=0] shut down completed", broker.Output, StringComparison.Ordinal);

        await broker.RestartAsync(timeout.Token);
        Assert.Equal(port, broker.Port);
        Assert.True(broker.IsRunning);
    }
}
