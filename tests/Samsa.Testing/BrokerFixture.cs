using Xunit;

namespace Samsa.Testing;

/// <summary>
/// An xunit class fixture: one broker process shared by the tests of one class (started before the
/// first, killed and its log dir deleted after the last). Tests that crash, restart or reconfigure a
/// broker start their own <see cref="BrokerProcess"/> instead.
/// </summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private BrokerProcess? _broker;

    public BrokerProcess Broker => _broker ?? throw new InvalidOperationException("The broker fixture has not started.");

    public string BootstrapServers => Broker.BootstrapServers;

    public async Task InitializeAsync() => _broker = await BrokerProcess.StartAsync().ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync().ConfigureAwait(false);
        }
    }
}
