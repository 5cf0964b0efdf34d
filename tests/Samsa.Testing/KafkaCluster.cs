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

    /// <summary>How much of each broker's output a failed <see cref="RunAsync"/> reports.</summary>
    private const int OutputLinesOnFailure = 60;

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

    /// <summary>
    /// Runs a test's steps against the cluster. When one fails, the failure carries the last lines of
    /// every broker's output: a cluster test that fails only under load is otherwise left with nothing
    /// to go on, since the brokers and their output are gone once the cluster is disposed.
    /// </summary>
    public async Task RunAsync(Func<Task> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        try
        {
            await steps().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw new ClusterTestFailedException(e.Message + Environment.NewLine + OutputTail(OutputLinesOnFailure), e);
        }
    }

    /// <summary>The last <paramref name="lines"/> lines each broker wrote, broker by broker.</summary>
    public string OutputTail(int lines)
    {
        var text = new StringBuilder();
        foreach (BrokerProcess broker in _brokers)
        {
            string[] output = broker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            int first = Math.Max(0, output.Length - lines);
            text.Append(CultureInfo.InvariantCulture, $"--- broker {broker.BrokerId}: last {output.Length - first} of {output.Length} lines ---").AppendLine();
            for (int i = first; i < output.Length; i++)
            {
                text.AppendLine(output[i].TrimEnd('\r'));
            }
        }

        return text.ToString();
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
