using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Configuration;
using Samsa.Broker.Controller;
using Samsa.Broker.Fetching;
using Samsa.Broker.Groups;
using Samsa.Broker.Handlers;
using Samsa.Broker.InterBroker;
using Samsa.Broker.Metadata;
using Samsa.Broker.Network;
using Samsa.Broker.Partitions;
using Samsa.Broker.Producers;
using Samsa.Broker.Replication;
using Samsa.Broker.Requests;
using Samsa.Broker.Threading;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Coordination.Embedded;
using Samsa.Storage;
using Samsa.Storage.Checkpoints;

namespace Samsa.Broker;

/// <summary>
/// A running broker: the composition root that opens storage and the coordination store, starts
/// the controller and the network, and shuts them down in the reverse order. Standalone mode
/// (no zookeeper.connect) keeps cluster metadata in an embedded store inside the first log dir.
/// </summary>
public sealed partial class KafkaBroker : IAsyncDisposable
{
    /// <summary>The embedded coordination store's folder inside the log dir (not a partition name).</summary>
    public const string MetadataDirectoryName = "samsa-metadata";

    private readonly BrokerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LogDirectory _logs;
    private readonly ICoordinationStore _store;
    private readonly KafkaController _controller;
    private readonly SocketServer _network;
    private readonly LocalPartitions _partitions;
    private readonly GroupCoordinator _groups;
    private readonly TopicConfigWatcher _configWatcher;
    private readonly BrokerConfigWatcher _brokerConfigWatcher;
    private readonly ClusterParts _cluster;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _maintenance;
    private int _stopped;

    private KafkaBroker(BrokerOptions options, TimeProvider time, ILogger logger, LogDirectory logs, ICoordinationStore store, KafkaController controller, SocketServer network, LocalPartitions partitions, TopicConfigWatcher configWatcher, BrokerConfigWatcher brokerConfigWatcher, GroupCoordinator groups, string clusterId, ClusterParts cluster)
    {
        _brokerConfigWatcher = brokerConfigWatcher;
        _cluster = cluster;
        _groups = groups;
        _options = options;
        _time = time;
        _logger = logger;
        _logs = logs;
        _store = store;
        _controller = controller;
        _network = network;
        _partitions = partitions;
        _configWatcher = configWatcher;
        ClusterId = clusterId;
        _maintenance = StartMaintenance(_stopping.Token);
        _store.SessionStateChanged += OnSessionStateChanged;
    }

    public string ClusterId { get; }

    public int BrokerId => _options.BrokerId;

    /// <summary>The addresses the listeners actually bound (port 0 resolved).</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints => _network.BoundEndpoints;

    public static async Task<KafkaBroker> StartAsync(BrokerOptions options, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        if (!options.IsStandalone)
        {
            ICoordinationStore zooKeeper = await ConnectZooKeeperAsync(options, loggerFactory, cancellationToken).ConfigureAwait(false);
            return await StartAsync(options, zooKeeper, clusterMode: true, time, loggerFactory, cancellationToken, ct => ConnectZooKeeperAsync(options, loggerFactory, ct)).ConfigureAwait(false);
        }

        Directory.CreateDirectory(options.LogDirs[0]);
        ICoordinationStore store = EmbeddedCoordinationStore.Open(Path.Combine(options.LogDirs[0], MetadataDirectoryName), time);
        return await StartAsync(options, store, clusterMode: false, time, loggerFactory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a broker over <paramref name="store"/>, which it owns from here on (disposing it on
    /// stop ends its session). <paramref name="clusterMode"/>: other brokers share the store, so the
    /// controller talks to them over the network and a stop is a controlled shutdown; otherwise
    /// (standalone) the controller only ever talks to this broker, in-process.
    /// </summary>
    /// <param name="renewSession">Opens a new session when the current one expires (cluster mode); null: an expired session stays expired.</param>
    internal static async Task<KafkaBroker> StartAsync(BrokerOptions options, ICoordinationStore store, bool clusterMode, TimeProvider time, ILoggerFactory loggerFactory, CancellationToken cancellationToken, Func<CancellationToken, Task<ICoordinationStore>>? renewSession = null)
    {
        ILogger logger = loggerFactory.CreateLogger("Samsa.Broker");
        if (renewSession is not null)
        {
            store = new RenewableSession(store, renewSession, time, logger);
        }

        string logDir = options.LogDirs[0];
        Directory.CreateDirectory(logDir);

        ClusterParts? cluster = null;
        LogDirectory? logs = null;
        SocketServer? network = null;
        KafkaController? controller = null;
        TopicConfigWatcher? configWatcher = null;
        BrokerConfigWatcher? brokerConfigWatcher = null;
        GroupCoordinator? groups = null;
        try
        {
            await CreatePersistentPathsAsync(store, cancellationToken).ConfigureAwait(false);

            options = await ResolveBrokerIdAsync(options, store, logDir, time, cancellationToken).ConfigureAwait(false);
            string clusterId = await GetOrCreateClusterIdAsync(store, logDir, options.BrokerId, time, cancellationToken).ConfigureAwait(false);

            // Dynamic broker configs over server.properties: everything below runs with the result.
            var brokerConfig = new DynamicBrokerConfig(options);
            brokerConfigWatcher = new BrokerConfigWatcher(store, brokerConfig, time, logger);
            await brokerConfigWatcher.LoadAsync(cancellationToken).ConfigureAwait(false);
            options = brokerConfig.Current;
            var configs = new TopicLogConfigs(options);

            // Topic overrides before the log dir: reopened logs start with their topic's config.
            configWatcher = new TopicConfigWatcher(store, configs, time, logger);
            await configWatcher.LoadAllAsync(cancellationToken).ConfigureAwait(false);
            logs = LogDirectory.Open(logDir, time, configs.For, options.LogCleaner, logger);
            await configWatcher.StartAsync(logs, cancellationToken).ConfigureAwait(false);
            brokerConfigWatcher.Start(configs, logs);
            var metadata = new MetadataCache(options.BrokerId, clusterId);
            var replication = new BrokerReplication(options, metadata, time, logger);
            var partitions = new LocalPartitions(options.BrokerId, logs, configs.For, logger, replication);
            var receiver = new ControlRequestReceiver(partitions, metadata, configWatcher);
            var clientOptions = new BrokerClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(options.RequestTimeoutMs) };
            NetworkControllerChannel? networkChannel = clusterMode
                ? new NetworkControllerChannel(options.BrokerId, receiver, options.InterBrokerListenerName, clientOptions, time, logger)
                : null;
            cluster = new ClusterParts(receiver, metadata, networkChannel)
            {
                Replication = replication,
                LogDirEvents = clusterMode ? new LogDirEventNotifier(options.BrokerId, store, partitions, time, logger) : null,
            };
            controller = new KafkaController(
                options.BrokerId,
                store,
                networkChannel ?? (IControllerChannel)new LocalControllerChannel(options.BrokerId, receiver),
                ControllerOptionsFrom(options),
                time,
                logger);

            // Partition leaders propose ISR changes through this (to the controller, wherever it runs).
            var alterPartitions = new ControllerAlterPartitionChannel(options.BrokerId, controller, metadata, options.InterBrokerListenerName, clientOptions, time, logger);
            cluster.AlterPartitions = alterPartitions;
            replication.Start(partitions, alterPartitions);

            var topicConfigEditor = new TopicConfigEditor(new TopicConfigStore(store), configWatcher);
            var brokerConfigEditor = new BrokerConfigEditor(new BrokerConfigStore(store), brokerConfig, brokerConfigWatcher);
            // Subscribed to leadership changes before the controller starts electing, so a restart reloads groups.
            groups = new GroupCoordinator(GroupCoordinatorOptions.From(options), partitions, metadata, controller, time, logger);
            groups.Start();
            RequestRouter? router = null;
            IRequestHandler[] handlers =
            [
                new ApiVersionsHandler(() => router!),
                new MetadataHandler(metadata, controller, options.AutoCreateTopicsEnable, partitions, options.BrokerId, MetadataHandler.FirstUpdateWaitFor(options.ZooKeeperSessionTimeoutMs)),
                new ProduceHandler(partitions, metadata, configs, time),
                new FetchHandler(partitions, metadata, time, new FetchSessionCache(options.MaxIncrementalFetchSessionCacheSlots)),
                new ListOffsetsHandler(partitions, metadata),
                new CreateTopicsHandler(controller),
                new DeleteTopicsHandler(controller, metadata),
                new DescribeConfigsHandler(brokerConfig, new TopicConfigStore(store)),
                new AlterConfigsHandler(topicConfigEditor, brokerConfigEditor),
                new IncrementalAlterConfigsHandler(topicConfigEditor, brokerConfigEditor),
                new InitProducerIdHandler(new ProducerIdAllocator(store, options.BrokerId), logger),
                new CreatePartitionsHandler(controller, metadata),
                new DeleteRecordsHandler(partitions, metadata),
                new OffsetForLeaderEpochHandler(partitions, metadata),
                new DescribeClusterHandler(metadata),
                new FindCoordinatorHandler(groups),
                new JoinGroupHandler(groups),
                new SyncGroupHandler(groups),
                new HeartbeatHandler(groups),
                new LeaveGroupHandler(groups),
                new OffsetCommitHandler(groups, metadata, time),
                new OffsetFetchHandler(groups),
                new DescribeGroupsHandler(groups),
                new ListGroupsHandler(groups),
                new DeleteGroupsHandler(groups),
                new OffsetDeleteHandler(groups, metadata),
                new LeaderAndIsrHandler(receiver),
                new UpdateMetadataHandler(receiver),
                new StopReplicaHandler(receiver),
                new ControlledShutdownHandler(controller),
                new AlterPartitionHandler(controller),
                new ElectLeadersHandler(controller),
                new ConsumerGroupHeartbeatHandler(groups),
                new ConsumerGroupDescribeHandler(groups),
            ];
            router = new RequestRouter(handlers);
            // Subscribed first: a change landing in between is then applied by one or the other.
            var threadPoolFloor = new ThreadPoolFloor(logger);
            brokerConfig.Subscribe(threadPoolFloor);
            threadPoolFloor.ApplyAndLog(brokerConfig.Current.NumIoThreads);
            network = new SocketServer(
                router,
                NetworkOptions.From(options),
                time,
                logger);
            network.Start(BindAddresses(options.Listeners));
            brokerConfig.Subscribe(new ConnectionLimitsReconfiguration(network, logger));

            // Register with the endpoints clients should use; a port 0 listener advertises the port it got.
            var advertised = new List<(string, string, int)>();
            IReadOnlyList<IPEndPoint> bound = network.BoundEndpoints;
            for (int i = 0; i < options.AdvertisedListeners.Count; i++)
            {
                ListenerEndpoint endpoint = options.AdvertisedListeners[i];
                int port = endpoint.Port != 0 ? endpoint.Port : PortOf(options.Listeners, bound, endpoint.Name);
                advertised.Add((endpoint.Name, endpoint.Host, port));
            }

            var registration = new BrokerRegistration(options.BrokerId, advertised, options.BrokerRack, -1);
            cluster.Registration = registration;
            receiver.BrokerEpoch = await RegisterAsync(store, registration, options, time, cancellationToken).ConfigureAwait(false);
            await controller.StartAsync(cancellationToken).ConfigureAwait(false);

            // Serve clients a real cluster view from the first request: wait (bounded) for the
            // controller's UpdateMetadata. A controller that died without closing its session is
            // replaced within the session timeout, so that bounds the wait.
            if (clusterMode && !await metadata.WaitUntilKnownAsync(MetadataHandler.FirstUpdateWaitFor(options.ZooKeeperSessionTimeoutMs), cancellationToken).ConfigureAwait(false))
            {
                LogNoControllerYet(logger, options.BrokerId);
            }

            var broker = new KafkaBroker(options, time, logger, logs, store, controller, network, partitions, configWatcher, brokerConfigWatcher, groups, clusterId, cluster);
            LogStarted(logger, options.BrokerId);
            return broker;
        }
        catch
        {
            // Close what was opened, each part even when another fails to (those are logged); the
            // start-up failure is what the caller hears.
            var steps = new ShutdownSequence(options.BrokerId, logger);
            if (network is not null)
            {
                await steps.RunAsync("network", network.DisposeAsync).ConfigureAwait(false);
            }

            if (groups is not null)
            {
                await steps.RunAsync("group coordinator", groups.DisposeAsync).ConfigureAwait(false);
            }

            if (controller is not null)
            {
                await steps.RunAsync("controller", controller.DisposeAsync).ConfigureAwait(false);
            }

            if (cluster is not null)
            {
                await cluster.StopAsync(steps).ConfigureAwait(false);
            }

            if (configWatcher is not null)
            {
                await steps.RunAsync("topic config watcher", configWatcher.DisposeAsync).ConfigureAwait(false);
            }

            if (brokerConfigWatcher is not null)
            {
                await steps.RunAsync("broker config watcher", brokerConfigWatcher.DisposeAsync).ConfigureAwait(false);
            }

            if (logs is not null)
            {
                steps.Run("logs", logs.Dispose);
            }

            await steps.RunAsync("coordination session", store.DisposeAsync).ConfigureAwait(false);
            throw;
        }
    }

    private static int PortOf(IReadOnlyList<ListenerEndpoint> listeners, IReadOnlyList<IPEndPoint> bound, string name)
    {
        for (int i = 0; i < listeners.Count; i++)
        {
            if (listeners[i].Name == name)
            {
                return bound[i].Port;
            }
        }

        return bound.Count > 0 ? bound[0].Port : 0;
    }

    private static List<(string, IPEndPoint)> BindAddresses(IReadOnlyList<ListenerEndpoint> listeners)
    {
        var result = new List<(string, IPEndPoint)>(listeners.Count);
        foreach (ListenerEndpoint listener in listeners)
        {
            IPAddress address;
            if (string.IsNullOrEmpty(listener.Host) || listener.Host == "0.0.0.0")
            {
                address = IPAddress.Any;
            }
            else if (!IPAddress.TryParse(listener.Host, out address!))
            {
                IPAddress[] resolved = Dns.GetHostAddresses(listener.Host);
                address = Array.Find(resolved, a => a.AddressFamily == AddressFamily.InterNetwork) ?? resolved[0];
            }

            result.Add((listener.Name, new IPEndPoint(address, listener.Port)));
        }

        return result;
    }

    /// <summary>
    /// The persistent top-level nodes. Those missing are created in one transaction: on a first start
    /// that is one fsync of the embedded store instead of thirteen (or one ZooKeeper write instead of
    /// thirteen). Brokers of a new cluster start together, so another may create some meanwhile; the
    /// transaction then fails as a whole and each node is created on its own.
    /// </summary>
    private static async Task CreatePersistentPathsAsync(ICoordinationStore store, CancellationToken cancellationToken)
    {
        var missing = new List<CoordinationOp>();
        foreach (string path in ZkPaths.Persistent)
        {
            if (await store.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false) is null)
            {
                missing.Add(CoordinationOp.Create(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent));
            }
        }

        if (missing.Count == 0)
        {
            return;
        }

        try
        {
            await store.MultiAsync(missing, cancellationToken).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
        {
            foreach (CoordinationOp create in missing)
            {
                await CreateIfMissingAsync(store, create.Path, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task CreateIfMissingAsync(ICoordinationStore store, string path, CancellationToken cancellationToken)
    {
        try
        {
            await store.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, cancellationToken).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
        {
        }
    }

    /// <summary>
    /// Kafka's broker id generation for broker.id=-1: the id stored in meta.properties by an earlier
    /// run, else a new one from /brokers/seqid (an unconditional write bumps its data version, which
    /// is unique per write) added to reserved.broker.max.id, so the first generated id is 1001.
    /// </summary>
    private static async Task<BrokerOptions> ResolveBrokerIdAsync(BrokerOptions options, ICoordinationStore store, string logDir, TimeProvider time, CancellationToken cancellationToken)
    {
        if (options.BrokerId >= 0)
        {
            return options;
        }

        MetaProperties? meta = new MetaPropertiesFile(Path.Combine(logDir, MetaPropertiesFile.FileName), time).Read();
        if (meta?.BrokerId is int stored)
        {
            return options with { BrokerId = stored };
        }

        NodeStat stat = await store.SetDataAsync(ZkPaths.BrokerSeqId, ReadOnlyMemory<byte>.Empty, -1, cancellationToken).ConfigureAwait(false);
        return options with { BrokerId = options.ReservedBrokerMaxId + stat.Version };
    }

    /// <summary>
    /// The cluster id lives in /cluster/id and in meta.properties; they must agree, and the broker
    /// id in meta.properties must match broker.id (Kafka refuses to start otherwise).
    /// </summary>
    private static async Task<string> GetOrCreateClusterIdAsync(ICoordinationStore store, string logDir, int brokerId, TimeProvider time, CancellationToken cancellationToken)
    {
        string clusterId;
        NodeData? node = await store.GetDataAsync(ZkPaths.ClusterId, null, cancellationToken).ConfigureAwait(false);
        if (node is null)
        {
            clusterId = Protocol.Primitives.Uuid.NewRandom().ToString();
            try
            {
                await store.CreateAsync(ZkPaths.ClusterId, ClusterIdZNode.Encode(clusterId), CreateMode.Persistent, cancellationToken).ConfigureAwait(false);
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
            {
                // Brokers of a new cluster start together: the first to create the id wins, the rest adopt it.
                node = await store.GetDataAsync(ZkPaths.ClusterId, null, cancellationToken).ConfigureAwait(false)
                    ?? throw new CoordinationException(CoordinationError.NoNode, "The cluster id vanished while it was being read.", ZkPaths.ClusterId);
                clusterId = ClusterIdZNode.Decode(node.Data.Span);
            }
        }
        else
        {
            clusterId = ClusterIdZNode.Decode(node.Data.Span);
        }

        var metaFile = new MetaPropertiesFile(Path.Combine(logDir, MetaPropertiesFile.FileName), time);
        MetaProperties? meta = metaFile.Read();
        if (meta is null)
        {
            metaFile.Write(new MetaProperties(MetaProperties.ZooKeeperVersion, brokerId, null, clusterId, null));
        }
        else if (meta.ClusterId != clusterId)
        {
            throw new StorageException($"The cluster id {clusterId} doesn't match the stored cluster id {meta.ClusterId} in meta.properties of {logDir}. The broker is trying to join the wrong cluster.");
        }
        else if (meta.BrokerId is int stored && stored != brokerId)
        {
            throw new StorageException($"Configured broker.id {brokerId} doesn't match stored broker.id {stored} in meta.properties of {logDir}.");
        }

        return clusterId;
    }

    /// <summary>
    /// Retention, flush-by-time and checkpoints, on their Kafka intervals, until shutdown: on a
    /// thread of their own, because they block on the disk (<see cref="PeriodicThread"/>).
    /// </summary>
    private Task StartMaintenance(CancellationToken stopping)
    {
        TimeSpan retentionEvery = TimeSpan.FromMilliseconds(Math.Max(_options.LogRetentionCheckIntervalMs, 100));
        TimeSpan checkpointEvery = TimeSpan.FromMilliseconds(Math.Max(_options.LogFlushOffsetCheckpointIntervalMs, 100));
        long lastRetention = _time.GetTimestamp();
        long lastCheckpoint = lastRetention;
        return PeriodicThread.Start("log maintenance", retentionEvery < checkpointEvery ? retentionEvery : checkpointEvery, _time, RunMaintenance, stopping);

        void RunMaintenance()
        {
            try
            {
                if (_time.GetElapsedTime(lastRetention) >= retentionEvery)
                {
                    lastRetention = _time.GetTimestamp();
                    // Retention, compaction, flush.ms and idle-handle release, in one pass over the logs.
                    _logs.RunMaintenance(_time.GetUtcNow().ToUnixTimeMilliseconds(), id => _partitions.Get(id)?.HighWatermark ?? 0);
                }

                if (_time.GetElapsedTime(lastCheckpoint) >= checkpointEvery)
                {
                    lastCheckpoint = _time.GetTimestamp();
                    _logs.Checkpoint();
                }
            }
            catch (StorageException e)
            {
                // A full disk fails a checkpoint now and then; the next tick tries again.
                LogMaintenanceFailed(_logger, e);
            }
        }
    }

    /// <summary>
    /// Clean shutdown: stop accepting and let connections finish in-flight requests, stop the
    /// controller, then flush and close every log and mark the shutdown clean.
    /// </summary>
    public Task StopAsync() => StopAsync(controlledShutdown: _cluster.IsCluster && _options.ControlledShutdownEnable);

    /// <param name="controlledShutdown">
    /// First ask the controller to move this broker's leaderships away (cluster mode, SIGTERM); false
    /// stops as abruptly as the process allows, as a crash would look to the others.
    /// </param>
    internal async Task StopAsync(bool controlledShutdown)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        LogStopping(_logger, _options.BrokerId);
        var steps = new ShutdownSequence(_options.BrokerId, _logger);
        if (controlledShutdown)
        {
            await steps.RunAsync("controlled shutdown", ControlledShutdownAsync).ConfigureAwait(false);
        }

        // Parked JoinGroup/SyncGroup requests are answered first, so in-flight requests can drain.
        await steps.RunAsync("group coordinator", _groups.DisposeAsync).ConfigureAwait(false);
        await steps.RunAsync("network", () => _network.StopAsync(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        await steps.RunAsync("background work", _stopping.CancelAsync).ConfigureAwait(false);
        await steps.RunAsync("log maintenance", () => _maintenance).ConfigureAwait(false);
        _store.SessionStateChanged -= OnSessionStateChanged;
        await steps.RunAsync("broker registration", () => _cluster.Reregistering).ConfigureAwait(false);
        await steps.RunAsync("controller", _controller.DisposeAsync).ConfigureAwait(false);
        await _cluster.StopAsync(steps).ConfigureAwait(false);
        await steps.RunAsync("topic config watcher", _configWatcher.DisposeAsync).ConfigureAwait(false);
        await steps.RunAsync("broker config watcher", _brokerConfigWatcher.DisposeAsync).ConfigureAwait(false);
        steps.Run("logs", _logs.Dispose);
        await steps.RunAsync("coordination session", _store.DisposeAsync).ConfigureAwait(false);
        if (steps.FailedCount == 0)
        {
            LogStopped(_logger, _options.BrokerId);
        }
        else
        {
            LogStoppedWithFailures(_logger, _options.BrokerId, steps.FailedCount);
        }

        steps.ThrowIfAnyFailed();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await _network.DisposeAsync().ConfigureAwait(false);
            _stopping.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[KafkaServer id={BrokerId}] started (kafka.server.KafkaServer)")]
    private static partial void LogStarted(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[KafkaServer id={BrokerId}] No metadata from a controller yet; starting anyway, clients see an incomplete cluster until it arrives.")]
    private static partial void LogNoControllerYet(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "[KafkaServer id={BrokerId}] shutting down (kafka.server.KafkaServer)")]
    private static partial void LogStopping(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "[KafkaServer id={BrokerId}] shut down completed (kafka.server.KafkaServer)")]
    private static partial void LogStopped(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Error, Message = "[KafkaServer id={BrokerId}] shut down, but {Failed} parts failed to stop cleanly (logged above) (kafka.server.KafkaServer)")]
    private static partial void LogStoppedWithFailures(ILogger logger, int brokerId, int failed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Log maintenance failed.")]
    private static partial void LogMaintenanceFailed(ILogger logger, Exception exception);
}
