using System.Globalization;
using System.Text;

namespace Samsa.Testing;

/// <summary>
/// The seed's cluster on one machine: a real ZooKeeper ensemble and Samsa broker processes with
/// broker.id 1..n, all on free loopback ports, each broker with its own log dir. Brokers use a
/// short ZooKeeper session timeout so a killed broker leaves the cluster within seconds.
/// Everything is stopped by process id on dispose.
/// </summary>
public sealed class KafkaCluster : IAsyncDisposable
{
    /// <summary>The brokers' zookeeper.session.timeout.ms: how soon a killed broker is noticed.</summary>
    public const int SessionTimeoutMs = 6000;

    private readonly List<BrokerProcess> _brokers;

    private KafkaCluster(ZooKeeperEnsemble zooKeeper, List<BrokerProcess> brokers)
    {
        ZooKeeper = zooKeeper;
        _brokers = brokers;
    }

    public ZooKeeperEnsemble ZooKeeper { get; }

    /// <summary>The brokers, in broker id order (index 0 is broker.id 1).</summary>
    public IReadOnlyList<BrokerProcess> Brokers => _brokers;

    /// <summary>Every broker's address, as a user lists them in bootstrap.servers.</summary>
    public string BootstrapServers
    {
        get
        {
            var builder = new StringBuilder();
            foreach (BrokerProcess broker in _brokers)
            {
                if (builder.Length > 0)
                {
                    builder.Append(',');
                }

                builder.Append(broker.BootstrapServers);
            }

            return builder.ToString();
        }
    }

    /// <summary>The broker with this broker.id.</summary>
    public BrokerProcess Broker(int brokerId) => _brokers[brokerId - 1];

    /// <summary>Starts the ensemble, then the brokers (in parallel), and returns when every broker reported started.</summary>
    public static async Task<KafkaCluster> StartAsync(int brokerCount = 3, int zooKeeperCount = 3, IEnumerable<string>? overrides = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperEnsemble zooKeeper = await ZooKeeperEnsemble.StartAsync(zooKeeperCount, cancellationToken).ConfigureAwait(false);
        var brokers = new List<BrokerProcess>(brokerCount);
        try
        {
            var settings = new List<string>
            {
                "zookeeper.connect=" + zooKeeper.ConnectString,
                "zookeeper.session.timeout.ms=" + SessionTimeoutMs.ToString(CultureInfo.InvariantCulture),
            };
            if (overrides is not null)
            {
                settings.AddRange(overrides);
            }

            var starts = new Task<BrokerProcess>[brokerCount];
            for (int i = 0; i < brokerCount; i++)
            {
                starts[i] = BrokerProcess.StartAsync(i + 1, settings, cancellationToken);
            }

            try
            {
                await Task.WhenAll(starts).ConfigureAwait(false);
            }
            finally
            {
                foreach (Task<BrokerProcess> start in starts)
                {
                    if (start.IsCompletedSuccessfully)
                    {
                        brokers.Add(start.Result);
                    }
                }
            }

            return new KafkaCluster(zooKeeper, brokers);
        }
        catch
        {
            foreach (BrokerProcess broker in brokers)
            {
                await broker.DisposeAsync().ConfigureAwait(false);
            }

            await zooKeeper.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (BrokerProcess broker in _brokers)
        {
            await broker.DisposeAsync().ConfigureAwait(false);
        }

        await ZooKeeper.DisposeAsync().ConfigureAwait(false);
    }
}
