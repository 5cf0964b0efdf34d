using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.InterBroker;
using Samsa.Coordination;
using Samsa.Coordination.ZooKeeper;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Cluster;

/// <summary>
/// Brokers in ZooKeeper mode (zookeeper.connect) against a real Apache ZooKeeper server: the
/// public start-up path, a chroot created on first use, Kafka's znodes, failover when a broker's
/// session closes, and a second broker with a taken id refused at start-up.
/// </summary>
public sealed class ZooKeeperClusterTests : IClassFixture<ZooKeeperClusterTests.SingleServer>
{
    private readonly SingleServer _zooKeeper;

    public ZooKeeperClusterTests(SingleServer zooKeeper)
    {
        _zooKeeper = zooKeeper;
    }

    [Fact]
    public async Task Three_brokers_over_zookeeper_form_a_cluster_and_survive_a_broker_loss()
    {
        using var dir = new TempDirectory("zk-cluster");
        string connect = _zooKeeper.Ensemble.ConnectString + "/samsa-" + Guid.NewGuid().ToString("N");
        var brokers = new Dictionary<int, KafkaBroker>();
        try
        {
            for (int id = 1; id <= 3; id++)
            {
                brokers[id] = await StartAsync(dir, connect, id);
            }

            await InProcessCluster.WaitUntilAsync(() => Task.FromResult(AllSee(brokers, 3)), "every broker sees three brokers and a controller");

            // Kafka's layout under the chroot, written by Kafka's rules.
            await using (ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions { ConnectString = connect }, null, CancellationToken.None))
            {
                Assert.Equal(["1", "2", "3"], await client.GetChildrenAsync("/brokers/ids"));
                NodeData? clusterId = await client.GetDataAsync("/cluster/id");
                Assert.Contains(brokers[1].ClusterId, System.Text.Encoding.UTF8.GetString(clusterId!.Data.Span), StringComparison.Ordinal);
                NodeData? controllerNode = await client.GetDataAsync("/controller");
                Assert.NotNull(controllerNode);
                NodeStat? registration = await client.ExistsAsync("/brokers/ids/2");
                Assert.Equal(brokers[2].SessionId, registration!.Value.EphemeralOwner);
                Assert.Equal(brokers[2].BrokerEpoch, registration.Value.Czxid);
            }

            KafkaBroker controller = brokers[brokers[1].Metadata.Current.ControllerId];
            await using var admin = new BrokerClient("127.0.0.1", controller.BoundEndpoints[0].Port, "test", new BrokerClientOptions(), NullLogger.Instance);
            CreateTopicsResponseData created = await admin.SendAsync<CreateTopicsResponseData>(
                new CreateTopicsRequestData { Topics = [new CreateTopicsRequestData.CreatableTopic { Name = "zk-topic", NumPartitions = 3, ReplicationFactor = 3 }], TimeoutMs = 10000 },
                7,
                CancellationToken.None);
            Assert.Equal((short)ErrorCode.None, created.Topics[0].ErrorCode);

            // The controller goes away (its session closes with it): another broker takes over and re-elects.
            int oldController = controller.BrokerId;
            await controller.StopAsync(controlledShutdown: false);
            await controller.DisposeAsync();
            brokers.Remove(oldController);
            await InProcessCluster.WaitUntilAsync(
                () =>
                {
                    foreach (KafkaBroker broker in brokers.Values)
                    {
                        MetadataCacheView view = new(broker);
                        if (!view.ControllerIsOneOf(brokers.Keys) || !view.EveryPartitionLedByOneOf("zk-topic", brokers.Keys, 3))
                        {
                            return Task.FromResult(false);
                        }
                    }

                    return Task.FromResult(true);
                },
                "the survivors elected a controller and new leaders");
        }
        finally
        {
            foreach (KafkaBroker broker in brokers.Values)
            {
                await broker.StopAsync(controlledShutdown: false);
                await broker.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_second_broker_with_a_registered_id_fails_to_start_with_a_clear_error()
    {
        using var dir = new TempDirectory("zk-duplicate");
        string connect = _zooKeeper.Ensemble.ConnectString + "/samsa-" + Guid.NewGuid().ToString("N");
        await using KafkaBroker first = await StartAsync(dir, connect, 1);
        ConfigException error = await Assert.ThrowsAsync<ConfigException>(() => StartAsync(dir, connect, 1, "second"));
        Assert.Contains("already registered", error.Message, StringComparison.Ordinal);
        await first.StopAsync(controlledShutdown: false);
    }

    private static async Task<KafkaBroker> StartAsync(TempDirectory dir, string connect, int id, string name = "broker")
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["broker.id"] = id.ToString(CultureInfo.InvariantCulture),
            ["log.dirs"] = dir.Combine(name + "-" + id.ToString(CultureInfo.InvariantCulture)),
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["zookeeper.connect"] = connect,

            // The shortest session the test server allows (2 ticks of 500 ms is its minimum).
            ["zookeeper.session.timeout.ms"] = "2000",
            ["auto.leader.rebalance.enable"] = "false",
        };
        BrokerOptions options = BrokerOptions.Load(properties, out _);
        return await KafkaBroker.StartAsync(options, TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
    }

    private static bool AllSee(Dictionary<int, KafkaBroker> brokers, int count)
    {
        foreach (KafkaBroker broker in brokers.Values)
        {
            if (broker.Metadata.Current.Brokers.Count != count || broker.Metadata.Current.ControllerId < 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>What one broker's metadata cache says, for the polling conditions above.</summary>
    private readonly struct MetadataCacheView(KafkaBroker broker)
    {
        public bool ControllerIsOneOf(IEnumerable<int> ids) => ids.Contains(broker.Metadata.Current.ControllerId);

        public bool EveryPartitionLedByOneOf(string topic, IEnumerable<int> ids, int partitions)
        {
            Metadata.TopicState? state = broker.Metadata.Current.Topic(topic);
            if (state is null || state.Partitions.Length != partitions)
            {
                return false;
            }

            foreach (Metadata.PartitionState partition in state.Partitions)
            {
                if (!ids.Contains(partition.Leader))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>One real ZooKeeper server for the class; each test works under a chroot of its own.</summary>
    public sealed class SingleServer : IAsyncLifetime
    {
        private ZooKeeperEnsemble? _ensemble;

        public ZooKeeperEnsemble Ensemble => _ensemble ?? throw new InvalidOperationException("ZooKeeper has not started.");

        public async Task InitializeAsync() => _ensemble = await ZooKeeperEnsemble.StartAsync(1);

        public async Task DisposeAsync()
        {
            if (_ensemble is not null)
            {
                await _ensemble.DisposeAsync();
            }
        }
    }
}
