using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.InterBroker;
using Samsa.Coordination;
using Samsa.Coordination.Embedded;
using Samsa.Protocol.Messages;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Cluster;

/// <summary>
/// Several real brokers in one process, each with its own log dir, its own 127.0.0.1:0 listener
/// and its own session on ONE shared embedded coordination store (standing in for ZooKeeper): the
/// controller reaches the others over real sockets through the network controller channel. Owns
/// its temp directory; brokers are stopped and the store closed on dispose.
/// </summary>
internal sealed class InProcessCluster : IAsyncDisposable
{
    /// <summary>How long a test waits for the cluster to converge before failing.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly BrokerClientOptions ClientOptions = new() { ConnectTimeout = TimeSpan.FromSeconds(5), RequestTimeout = TimeSpan.FromSeconds(10) };

    private readonly TempDirectory _dir = new("cluster");
    private readonly Dictionary<int, KafkaBroker> _brokers = [];
    private readonly Dictionary<int, BrokerClient> _clients = [];
    private readonly Dictionary<int, FaultableSession> _sessions = [];
    private readonly ConcurrentDictionary<int, FaultableSession> _renewed = new();
    private readonly (string Key, string Value)[] _overrides;

    private InProcessCluster((string Key, string Value)[] overrides)
    {
        _overrides = overrides;
        Store = EmbeddedCoordinationStore.Open(_dir.Combine("coordination"), TimeProvider.System);
    }

    public EmbeddedCoordinationStore Store { get; }

    public IReadOnlyDictionary<int, KafkaBroker> Brokers => _brokers;

    /// <summary>Each running broker's first coordination session, which a test can make lose its writes.</summary>
    public IReadOnlyDictionary<int, FaultableSession> Sessions => _sessions;

    /// <summary>Whether a session a broker opens after an expiry starts out losing its writes.</summary>
    public bool RenewedSessionsFailWrites { get; set; }

    /// <summary>Each broker's latest session opened after an expiry, which a test can let write again.</summary>
    public IReadOnlyDictionary<int, FaultableSession> RenewedSessions => _renewed;

    /// <summary>Starts brokers 1..<paramref name="count"/> and waits until each knows all of them.</summary>
    public static async Task<InProcessCluster> StartAsync(int count, params (string Key, string Value)[] overrides)
    {
        var cluster = new InProcessCluster(overrides);
        try
        {
            for (int id = 1; id <= count; id++)
            {
                await cluster.StartBrokerAsync(id);
            }

            await WaitUntilAsync(() => cluster.AllBrokersSee(count), "every broker sees every broker");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string LogDir(int brokerId) => _dir.Combine("broker-" + brokerId.ToString(CultureInfo.InvariantCulture));

    public async Task<KafkaBroker> StartBrokerAsync(int brokerId, string? rack = null)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["broker.id"] = brokerId.ToString(CultureInfo.InvariantCulture),
            ["log.dirs"] = LogDir(brokerId),
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["controlled.shutdown.retry.backoff.ms"] = "100",
            ["auto.leader.rebalance.enable"] = "false",
        };
        if (rack is not null)
        {
            properties["broker.rack"] = rack;
        }

        foreach ((string key, string value) in _overrides)
        {
            properties[key] = value;
        }

        BrokerOptions options = BrokerOptions.Load(properties, out _);
        var session = new FaultableSession(Store.OpenSession());
        _sessions[brokerId] = session;
        KafkaBroker broker = await KafkaBroker.StartAsync(options, session, clusterMode: true, TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None, _ =>
        {
            var renewed = new FaultableSession(Store.OpenSession()) { FailWrites = RenewedSessionsFailWrites };
            _renewed[brokerId] = renewed;
            return Task.FromResult<ICoordinationStore>(renewed);
        });
        _brokers[brokerId] = broker;
        return broker;
    }

    /// <summary>
    /// A crash as the others see it: no controlled shutdown, and the session ends (registration
    /// gone), as ZooKeeper's session timeout would end it. The broker stops first, so it cannot
    /// open a new session and register again in between.
    /// </summary>
    public async Task KillAsync(int brokerId)
    {
        KafkaBroker broker = _brokers[brokerId];
        _brokers.Remove(brokerId);
        await DropClientAsync(brokerId);
        long session = broker.SessionId;
        await broker.StopAsync(controlledShutdown: false);
        Store.ExpireSession(session);
        await broker.DisposeAsync();
    }

    /// <summary>A clean stop (SIGTERM): controlled shutdown first.</summary>
    public async Task StopAsync(int brokerId)
    {
        KafkaBroker broker = _brokers[brokerId];
        _brokers.Remove(brokerId);
        await DropClientAsync(brokerId);
        await broker.StopAsync(controlledShutdown: true);
        await broker.DisposeAsync();
    }

    /// <summary>Sends a request to one broker over a real socket, as another broker or a client would.</summary>
    public async Task<TResponse> SendAsync<TResponse>(int brokerId, IRequestData request, short version)
        where TResponse : IResponseData, new()
    {
        if (!_clients.TryGetValue(brokerId, out BrokerClient? client))
        {
            client = new BrokerClient("127.0.0.1", _brokers[brokerId].BoundEndpoints[0].Port, "cluster-test", ClientOptions, NullLogger.Instance);
            _clients[brokerId] = client;
        }

        return await client.SendAsync<TResponse>(request, version, CancellationToken.None);
    }

    public Task<MetadataResponseData> MetadataAsync(int brokerId, params string[] topics)
    {
        var request = new MetadataRequestData { AllowAutoTopicCreation = false };
        foreach (string topic in topics)
        {
            request.Topics!.Add(new MetadataRequestData.MetadataRequestTopic { Name = topic });
        }

        return SendAsync<MetadataResponseData>(brokerId, request, 12);
    }

    /// <summary>The broker currently acting as controller (at most one, once elections settle).</summary>
    public int? ActiveControllerId()
    {
        foreach ((int id, KafkaBroker broker) in _brokers)
        {
            if (broker.Controller.IsActive)
            {
                return id;
            }
        }

        return null;
    }

    public async Task<KafkaBroker> ControllerAsync()
    {
        await WaitUntilAsync(() => Task.FromResult(ActiveControllerId() is not null), "a controller is elected");
        return _brokers[ActiveControllerId()!.Value];
    }

    /// <summary>Creates a one-partition topic with the replicas <paramref name="assignment"/> (leader first) through the controller.</summary>
    public async Task CreateTopicAsync(int controllerId, string name, int[] assignment)
    {
        var topic = new CreateTopicsRequestData.CreatableTopic { Name = name, NumPartitions = -1, ReplicationFactor = -1 };
        topic.Assignments.Add(new CreateTopicsRequestData.CreatableReplicaAssignment { PartitionIndex = 0, BrokerIds = [.. assignment] });
        CreateTopicsResponseData response = await SendAsync<CreateTopicsResponseData>(controllerId, new CreateTopicsRequestData { Topics = [topic], TimeoutMs = 10000 }, 7);
        Assert.Equal((short)Samsa.Protocol.ErrorCode.None, response.Topics[0].ErrorCode);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <see cref="Patience"/> runs out.</summary>
    public static Task WaitUntilAsync(Func<Task<bool>> condition, string what) => Polling.UntilAsync(condition, Patience, what);

    private Task<bool> AllBrokersSee(int count)
    {
        foreach (KafkaBroker broker in _brokers.Values)
        {
            if (broker.Metadata.Current.Brokers.Count != count || broker.Metadata.Current.ControllerId < 0)
            {
                return Task.FromResult(false);
            }
        }

        return Task.FromResult(true);
    }

    private async Task DropClientAsync(int brokerId)
    {
        if (_clients.Remove(brokerId, out BrokerClient? client))
        {
            await client.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (BrokerClient client in _clients.Values)
        {
            await client.DisposeAsync();
        }

        _clients.Clear();
        foreach (KafkaBroker broker in _brokers.Values)
        {
            await broker.StopAsync(controlledShutdown: false);
            await broker.DisposeAsync();
        }

        _brokers.Clear();
        await Store.DisposeAsync();
        _dir.Dispose();
    }
}
