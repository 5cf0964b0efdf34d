using System.Globalization;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Server;

/// <summary>
/// A broker stopped while it is still starting (here: waiting for a ZooKeeper that does not
/// answer) stops cleanly: exit code 0 and a line saying so, not an unhandled exception.
/// </summary>
public sealed class StopDuringStartupTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Sigterm_while_waiting_for_zookeeper_exits_cleanly()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);

        // A port nothing listens on: the connect attempt waits out zookeeper.connection.timeout.ms.
        int silentPort = UnusedPort();
        await using BrokerProcess broker = BrokerProcess.Launch(
            [
                "zookeeper.connect=127.0.0.1:" + silentPort.ToString(CultureInfo.InvariantCulture),
                "zookeeper.connection.timeout.ms=60000",
            ]);

        await Polling.UntilAsync(() => broker.Output.Contains("Connecting to zookeeper on 127.0.0.1:", StringComparison.Ordinal), TestTimeout, "the broker starts connecting to ZooKeeper", timeout.Token);
        Assert.Equal(0, await broker.StopAsync(timeout.Token));
        Assert.Contains("Shutdown requested during startup", broker.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", broker.Output, StringComparison.Ordinal);
    }

    private static int UnusedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
