using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Controller;
using Samsa.Broker.Tests.Cluster;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Coordination.Embedded;
using Samsa.Protocol;
using Samsa.Protocol.Primitives;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Controller;

/// <summary>An embedded store with brokers 1, 2 and 3 registered and a controller (broker 1 first) over a recording channel.</summary>
internal sealed class ControllerBed : IAsyncDisposable
{
    /// <summary>The topic <see cref="CreateTopicAsync"/> creates and <see cref="StateAsync"/> reads.</summary>
    public const string Topic = "disk";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _dir = new("controller-bed");
    private readonly bool _unclean;
    private readonly ILogger _logger;

    private ControllerBed(bool unclean, ILogger? logger)
    {
        _unclean = unclean;
        _logger = logger ?? NullLogger.Instance;
        Store = EmbeddedCoordinationStore.Open(_dir.Combine("store"), TimeProvider.System);
        Session = new FaultableSession(Store);
    }

    public EmbeddedCoordinationStore Store { get; }

    /// <summary>The controller's view of <see cref="Store"/>, whose writes a test can make fail.</summary>
    public FaultableSession Session { get; }

    public KafkaController Controller { get; private set; } = null!;

    public RecordingControllerChannel Channel { get; private set; } = null!;

    public static async Task<ControllerBed> StartAsync(bool unclean = false, ILogger? logger = null)
    {
        var bed = new ControllerBed(unclean, logger);
        try
        {
            foreach (string path in ZkPaths.Persistent)
            {
                await bed.Store.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
            }

            for (int id = 1; id <= 3; id++)
            {
                await bed.RegisterAsync(id);
            }

            await bed.StartControllerAsync(brokerId: 1);
            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    public async Task RegisterAsync(int brokerId)
    {
        var registration = new BrokerRegistration(brokerId, [("PLAINTEXT", "127.0.0.1", 9000 + brokerId)], null, -1);
        await Store.CreateAsync(ZkPaths.BrokerId(brokerId), registration.Encode(0), CreateMode.Persistent);
    }

    public async Task<RecordingControllerChannel> StartControllerAsync(int brokerId)
    {
        Channel = new RecordingControllerChannel();
        Controller = new KafkaController(brokerId, Session, Channel, new ControllerOptions { UncleanLeaderElectionEnable = _unclean }, TimeProvider.System, _logger);
        await Controller.StartAsync(CancellationToken.None);
        Assert.True(Controller.IsActive);
        return Channel;
    }

    /// <summary>The controller stops without resigning cleanly, as a dead broker's would; its /controller node goes with it.</summary>
    public async Task StopControllerAsync()
    {
        await Controller.DisposeAsync();
        await Store.DeleteAsync(ZkPaths.Controller);
    }

    /// <summary>Another controller took over meanwhile: the controller epoch znode moves on, and this controller's next write is fenced.</summary>
    public async Task MoveControllerEpochAsync()
    {
        NodeData epoch = (await Store.GetDataAsync(ZkPaths.ControllerEpoch))!;
        await Store.SetDataAsync(ZkPaths.ControllerEpoch, epoch.Data);
    }

    public async Task<Uuid> CreateTopicAsync(Dictionary<int, int[]> assignment)
    {
        IReadOnlyList<TopicCreationResult> created = await Controller.CreateTopicsAsync([new TopicCreation(Topic, -1, -1, assignment, new Dictionary<string, string>())], false, CancellationToken.None);
        Assert.Equal(ErrorCode.None, created[0].Error);
        return created[0].TopicId;
    }

    public async Task<long> BrokerEpochAsync(int brokerId) => (await Store.ExistsAsync(ZkPaths.BrokerId(brokerId)))!.Value.Czxid;

    public async Task<(PartitionStateZNode State, int Version)> StateAsync(int partition)
    {
        NodeData data = (await Store.GetDataAsync(ZkPaths.TopicPartitionState(Topic, partition)))!;
        return (PartitionStateZNode.Decode(data.Data.Span), data.Stat.Version);
    }

    public async Task<IReadOnlyList<string>> NotificationsAsync() => await Store.GetChildrenAsync(ZkPaths.LogDirEventNotification) ?? [];

    public async Task WaitForNoNotificationsAsync()
    {
        await Polling.UntilAsync(async () => (await NotificationsAsync()).Count == 0, Patience, "the log dir event notifications are deleted");
    }

    public async ValueTask DisposeAsync()
    {
        if (Controller is not null)
        {
            await Controller.DisposeAsync();
        }

        await Store.DisposeAsync();
        _dir.Dispose();
    }
}
