using System.Globalization;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Configuration;
using Samsa.Broker.Controller;
using Samsa.Broker.InterBroker;
using Samsa.Broker.Metadata;
using Samsa.Broker.Replication;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Coordination.ZooKeeper;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker;

/// <summary>The broker's part in a cluster: registration, controller settings and controlled shutdown.</summary>
public sealed partial class KafkaBroker
{
    /// <summary>Pause between looks at a registration left by an earlier session of this broker id.</summary>
    private static readonly TimeSpan RegistrationRetry = TimeSpan.FromMilliseconds(500);

    /// <summary>ControlledShutdown v3: flexible, with the broker epoch.</summary>
    private const short ControlledShutdownVersion = 3;

    /// <summary>The partitions this broker hosts (for tests and diagnostics).</summary>
    internal Partitions.LocalPartitions Partitions => _partitions;

    internal KafkaController Controller => _controller;

    /// <summary>The channel this broker's partition leaders use to send AlterPartition to the controller.</summary>
    internal ControllerAlterPartitionChannel? AlterPartitions => _cluster.AlterPartitions;

    internal MetadataCache Metadata => _cluster.Metadata;

    /// <summary>This broker's registration czxid, sent back in the controller's requests.</summary>
    internal long BrokerEpoch => _cluster.Receiver.BrokerEpoch;

    /// <summary>The session of the coordination store this broker registered with.</summary>
    internal long SessionId => _store.SessionId;

    private static ControllerOptions ControllerOptionsFrom(BrokerOptions options) => new()
    {
        DefaultNumPartitions = options.NumPartitions,
        DefaultReplicationFactor = options.DefaultReplicationFactor,
        DeleteTopicEnable = options.DeleteTopicEnable,
        ValidateTopicConfig = TopicConfigDefinition.Validate,
        InterBrokerListenerName = options.InterBrokerListenerName,
        UncleanLeaderElectionEnable = options.UncleanLeaderElectionEnable,
        AutoLeaderRebalanceEnable = options.AutoLeaderRebalanceEnable,
        LeaderImbalanceCheckInterval = TimeSpan.FromSeconds(Math.Max(options.LeaderImbalanceCheckIntervalSeconds, 1)),
        LeaderImbalancePerBrokerPercentage = options.LeaderImbalancePerBrokerPercentage,
    };

    /// <summary>
    /// Opens this broker's ZooKeeper session (zookeeper.connect, zookeeper.session.timeout.ms,
    /// zookeeper.connection.timeout.ms). A chroot in the connect string is created first when
    /// missing, as Kafka does, through a session without the chroot. A ZooKeeper that cannot be
    /// reached in time is a start-up failure (an IOException, as a socket error would be).
    /// </summary>
    private static async Task<ICoordinationStore> ConnectZooKeeperAsync(BrokerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        string connect = options.ZooKeeperConnect!;
        ILogger brokerLogger = loggerFactory.CreateLogger("Samsa.Broker");
        LogConnectingToZooKeeper(brokerLogger, options.BrokerId, connect);
        ILogger logger = loggerFactory.CreateLogger("Samsa.ZooKeeper");
        int slash = connect.IndexOf('/', StringComparison.Ordinal);
        try
        {
            if (slash >= 0 && slash < connect.Length - 1)
            {
                await using ZooKeeperClient root = await ZooKeeperClient.ConnectAsync(ZooKeeperOptions(options, connect[..slash]), logger, cancellationToken).ConfigureAwait(false);
                string path = string.Empty;
                foreach (string segment in connect[(slash + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries))
                {
                    path += "/" + segment;
                    await CreateIfMissingAsync(root, path, cancellationToken).ConfigureAwait(false);
                }
            }

            return await ZooKeeperClient.ConnectAsync(ZooKeeperOptions(options, connect), logger, cancellationToken).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error is CoordinationError.ConnectionLoss or CoordinationError.SessionExpired or CoordinationError.OperationTimeout)
        {
            throw new IOException($"Timed out waiting for connection to ZooKeeper at {connect}: {e.Message}", e);
        }
    }

    private static ZooKeeperClientOptions ZooKeeperOptions(BrokerOptions options, string connectString) => new()
    {
        ConnectString = connectString,
        SessionTimeout = TimeSpan.FromMilliseconds(options.ZooKeeperSessionTimeoutMs),
        ConnectionTimeout = TimeSpan.FromMilliseconds(options.ZooKeeperConnectionTimeoutMs),
    };

    /// <summary>
    /// Creates this broker's ephemeral /brokers/ids/&lt;id&gt; and returns its czxid, the broker epoch.
    /// A node left by an earlier session of the same id (a restart faster than the session timeout)
    /// goes away when that session expires, so it is waited for up to zookeeper.session.timeout.ms,
    /// as Kafka does; a node still owned by another live session after that is another broker
    /// configured with our id, which is a fatal start-up error.
    /// </summary>
    private static async Task<long> RegisterAsync(ICoordinationStore store, BrokerRegistration registration, BrokerOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        string path = ZkPaths.BrokerId(options.BrokerId);
        long started = time.GetTimestamp();
        TimeSpan patience = TimeSpan.FromMilliseconds(options.ZooKeeperSessionTimeoutMs);
        while (true)
        {
            long owner;
            try
            {
                await store.CreateAsync(path, registration.Encode(time.GetUtcNow().ToUnixTimeMilliseconds()), CreateMode.Ephemeral, cancellationToken).ConfigureAwait(false);
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
            {
            }

            NodeStat? stat = await store.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false);
            if (stat is { } mine && mine.EphemeralOwner == store.SessionId)
            {
                return mine.Czxid;
            }

            owner = stat?.EphemeralOwner ?? 0;
            if (stat is not null && time.GetElapsedTime(started) >= patience)
            {
                throw new ConfigException(
                    BrokerConfigDefinition.BrokerId,
                    options.BrokerId.ToString(CultureInfo.InvariantCulture),
                    string.Create(CultureInfo.InvariantCulture, $"broker id {options.BrokerId} is already registered at {path} by another session (0x{owner:x}); is another broker running with this broker.id?"));
            }

            await Task.Delay(RegistrationRetry, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After an expiry the session is renewed (<see cref="RenewableSession"/>): this broker then
    /// registers again, with a new broker epoch, and the controller treats it as a restarted broker.
    /// </summary>
    private void OnSessionStateChanged(object? sender, SessionState state)
    {
        if (state == SessionState.Expired)
        {
            _cluster.SessionExpired = true;
            LogSessionExpired(_logger, _options.BrokerId);
        }
        else if (state == SessionState.Connected && _cluster.SessionExpired && _cluster.Registration is { } registration && !_stopping.IsCancellationRequested)
        {
            _cluster.SessionExpired = false;
            _cluster.Reregistering = ReregisterAsync(registration);
        }
    }

    /// <summary>
    /// Registers again on the renewed session, retrying while the ensemble loses the request
    /// (ConnectionLoss, OperationTimeout: a server paused or failing over as the new session
    /// opens): given up after one such loss, the broker stayed out of /brokers/ids for good, live
    /// but never sent LeaderAndIsr or UpdateMetadata again. Kafka's client, too, retries its
    /// registration until connected. A further expiry ends this attempt; the next session's
    /// Connected starts another.
    /// </summary>
    private async Task ReregisterAsync(BrokerRegistration registration)
    {
        while (true)
        {
            try
            {
                _cluster.Receiver.BrokerEpoch = await RegisterAsync(_store, registration, _options, _time, _stopping.Token).ConfigureAwait(false);
                LogReregistered(_logger, _options.BrokerId, _cluster.Receiver.BrokerEpoch);
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (CoordinationException e) when (e.Error is CoordinationError.ConnectionLoss or CoordinationError.OperationTimeout && !_cluster.SessionExpired)
            {
                LogReregisterRetried(_logger, _options.BrokerId, e.Message);
            }
            catch (Exception e) when (e is CoordinationException or ConfigException)
            {
                LogReregisterFailed(_logger, _options.BrokerId, e.Message);
                return;
            }

            try
            {
                await Task.Delay(RegistrationRetry, _time, _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Kafka's KafkaServer.initZkClient says the same before its first session.
    [LoggerMessage(Level = LogLevel.Information, Message = "[KafkaServer id={BrokerId}] Connecting to zookeeper on {Connect} (kafka.server.KafkaServer)")]
    private static partial void LogConnectingToZooKeeper(ILogger logger, int brokerId, string connect);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[KafkaServer id={BrokerId}] Coordination session expired; registering again once a new session is open.")]
    private static partial void LogSessionExpired(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Information, Message = "[KafkaServer id={BrokerId}] Registered again with broker epoch {BrokerEpoch}.")]
    private static partial void LogReregistered(ILogger logger, int brokerId, long brokerEpoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[KafkaServer id={BrokerId}] Registering again was lost ({Reason}); retrying.")]
    private static partial void LogReregisterRetried(ILogger logger, int brokerId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "[KafkaServer id={BrokerId}] Could not register again after the session expired: {Reason}")]
    private static partial void LogReregisterFailed(ILogger logger, int brokerId, string reason);

    /// <summary>
    /// Asks the controller (wherever it runs) to move this broker's leaderships away, retrying
    /// controlled.shutdown.max.retries times with controlled.shutdown.retry.backoff.ms between
    /// attempts while partitions remain; then the broker stops anyway, as Kafka's does.
    /// </summary>
    private async Task ControlledShutdownAsync()
    {
        long brokerEpoch = _cluster.Receiver.BrokerEpoch;
        TimeSpan backoff = TimeSpan.FromMilliseconds(Math.Max(_options.ControlledShutdownRetryBackoffMs, 0));
        for (int attempt = 0; attempt <= _options.ControlledShutdownMaxRetries; attempt++)
        {
            if (attempt > 0)
            {
                await Task.Delay(backoff, _time).ConfigureAwait(false);
            }

            (ErrorCode error, int remaining) = await TryControlledShutdownAsync(brokerEpoch).ConfigureAwait(false);
            if (error == ErrorCode.None && remaining == 0)
            {
                LogControlledShutdownDone(_logger, _options.BrokerId);
                return;
            }

            LogControlledShutdownRetry(_logger, _options.BrokerId, error, remaining);
        }
    }

    private async Task<(ErrorCode Error, int Remaining)> TryControlledShutdownAsync(long brokerEpoch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.RequestTimeoutMs), _time);
        if (_controller.IsActive)
        {
            // This broker is the controller: a ZooKeeper write that fails (connection loss while the
            // ensemble or the session is going away) or runs out of time is a failed attempt to
            // retry, never an exception out of StopAsync, which would skip closing the logs cleanly.
            try
            {
                (ErrorCode error, IReadOnlyList<(string, int)> remaining) = await _controller.ControlledShutdownAsync(_options.BrokerId, brokerEpoch, timeout.Token).ConfigureAwait(false);
                return (error, remaining.Count);
            }
            catch (CoordinationException)
            {
                return (ErrorCode.UnknownServerError, -1);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return (ErrorCode.RequestTimedOut, -1);
            }
        }

        MetadataCache.Snapshot snapshot = _cluster.Metadata.Current;
        if (!snapshot.Brokers.TryGetValue(snapshot.ControllerId, out BrokerNode? node)
            || (node.EndpointFor(_options.InterBrokerListenerName) ?? (node.Endpoints.Count > 0 ? node.Endpoints[0] : null)) is not BrokerEndpoint endpoint)
        {
            return (ErrorCode.NotController, -1);
        }

        var client = new BrokerClient(endpoint.Host, endpoint.Port, "controlled-shutdown-" + _options.BrokerId.ToString(CultureInfo.InvariantCulture), new BrokerClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(_options.RequestTimeoutMs) }, _logger);
        await using (client.ConfigureAwait(false))
        {
            try
            {
                ControlledShutdownResponseData response = await client.SendAsync<ControlledShutdownResponseData>(
                    new ControlledShutdownRequestData { BrokerId = _options.BrokerId, BrokerEpoch = brokerEpoch },
                    ControlledShutdownVersion,
                    timeout.Token).ConfigureAwait(false);
                return ((ErrorCode)response.ErrorCode, response.RemainingPartitions.Count);
            }
            catch (BrokerClientException)
            {
                return (ErrorCode.NetworkException, -1);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return (ErrorCode.RequestTimedOut, -1);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[KafkaServer id={BrokerId}] Controlled shutdown succeeded (kafka.server.KafkaServer)")]
    private static partial void LogControlledShutdownDone(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[KafkaServer id={BrokerId}] Retrying controlled shutdown ({Error}, {Remaining} partitions remaining) (kafka.server.KafkaServer)")]
    private static partial void LogControlledShutdownRetry(ILogger logger, int brokerId, ErrorCode error, int remaining);

    /// <summary>
    /// What a broker has for talking with the rest of the cluster: the receiver of control requests,
    /// the network controller channel (cluster mode only) and the AlterPartition channel. Disposed
    /// after the controller, which uses them, each part on its own (see <see cref="StopAsync"/>).
    /// </summary>
    private sealed class ClusterParts(ControlRequestReceiver receiver, MetadataCache metadata, NetworkControllerChannel? channel)
    {
        public ControlRequestReceiver Receiver { get; } = receiver;

        public MetadataCache Metadata { get; } = metadata;

        public bool IsCluster => channel is not null;

        public ControllerAlterPartitionChannel? AlterPartitions { get; set; }

        /// <summary>What this broker registers in /brokers/ids (again after a session expiry).</summary>
        public BrokerRegistration? Registration { get; set; }

        /// <summary>A registration under way in a new session; awaited on stop.</summary>
        public Task Reregistering { get; set; } = Task.CompletedTask;

        public bool SessionExpired { get; set; }

        /// <summary>Fetchers, ISR check and AlterPartition sender; stopped first, while the logs and channels are still open.</summary>
        public BrokerReplication? Replication { get; set; }

        /// <summary>Tells the controller when a replica's log goes offline (cluster mode only).</summary>
        public LogDirEventNotifier? LogDirEvents { get; set; }

        /// <summary>Each part its own step: one that fails to stop must not leave the fetchers running into closing logs.</summary>
        public async ValueTask StopAsync(ShutdownSequence steps)
        {
            if (LogDirEvents is not null)
            {
                await steps.RunAsync("log-dir event notifier", LogDirEvents.DisposeAsync).ConfigureAwait(false);
            }

            if (Replication is not null)
            {
                await Replication.StopAsync(steps).ConfigureAwait(false);
            }

            if (AlterPartitions is not null)
            {
                await steps.RunAsync("AlterPartition channel", AlterPartitions.DisposeAsync).ConfigureAwait(false);
            }

            if (channel is not null)
            {
                await steps.RunAsync("controller channel", channel.DisposeAsync).ConfigureAwait(false);
            }
        }
    }
}
