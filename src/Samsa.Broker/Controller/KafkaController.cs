using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Controller;

/// <summary>
/// The cluster controller (Kafka's ZooKeeper-mode design): elected through the /controller
/// ephemeral node, it owns topic placement and partition leadership, keeps them in the
/// coordination store with compare-and-set, and tells brokers through LeaderAndIsr,
/// UpdateMetadata and StopReplica. The same code runs over the embedded store (standalone) and
/// over ZooKeeper. All state below is touched only on <see cref="_loop"/>.
/// </summary>
internal sealed partial class KafkaController : IAsyncDisposable
{
    private readonly int _brokerId;
    private readonly ICoordinationStore _store;
    private readonly IControllerChannel _channel;
    private readonly ControllerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ControllerLoop _loop;
    private readonly Random _placementRandom;

    // Controller state: valid only while _isActive; rebuilt from the store on election.
    private bool _isActive;
    private int _epoch;
    private int _epochZkVersion;
    private readonly Dictionary<int, BrokerRegistration> _liveBrokers = [];
    private readonly Dictionary<string, TopicInfo> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Topic, int Partition), PartitionLeadership> _partitions = [];

    // Brokers in a controlled shutdown: live, but no longer eligible to lead or join an ISR.
    private readonly HashSet<int> _shuttingDown = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationToken _stoppingToken; // read after DisposeAsync too, when _stopping.Token would throw
    private Task _rebalancing = Task.CompletedTask;

    public KafkaController(int brokerId, ICoordinationStore store, IControllerChannel channel, ControllerOptions options, TimeProvider time, ILogger logger)
    {
        _brokerId = brokerId;
        _store = store;
        _channel = channel;
        _options = options;
        _time = time;
        _logger = logger;
        _placementRandom = options.PlacementSeed is int seed ? new Random(seed) : new Random();
        _stoppingToken = _stopping.Token;
        _loop = new ControllerLoop(e => LogLoopFailure(_logger, e));
        _store.SessionStateChanged += OnSessionStateChanged;
        _channel.LeaderAndIsrAnswered += OnLeaderAndIsrAnswered;
    }

    /// <summary>True while this broker is the active controller.</summary>
    public bool IsActive => Volatile.Read(ref _isActive);

    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>Tries to become the controller; if another broker is, watches for it to go away.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.AutoLeaderRebalanceEnable)
        {
            _rebalancing = RunLeaderRebalanceAsync(_stopping.Token);
        }

        return RunToEndAsync(async stopping => { await ElectAsync(stopping).ConfigureAwait(false); return true; }, cancellationToken);
    }

    /// <summary>A lost session takes our /controller node with it: stop acting as controller at once, and stand again once there is a new session.</summary>
    private void OnSessionStateChanged(object? sender, SessionState state)
    {
        if (state == SessionState.Expired)
        {
            _loop.Post(() =>
            {
                Resign();
                return Task.CompletedTask;
            });
        }
        else if (state == SessionState.Connected)
        {
            // A new session (after an expiry) or a reconnect: our /controller watch may be gone; stand again.
            _loop.Post(() => ElectAsync(CancellationToken.None));
        }
    }

    /// <summary>Stops acting as controller (deposed, or the session expired); the state is rebuilt on the next election.</summary>
    private void Resign()
    {
        if (!_isActive)
        {
            return;
        }

        Volatile.Write(ref _isActive, false);
        _liveBrokers.Clear();
        _shuttingDown.Clear();
        _offlineReplicas.Clear();
        _channel.SetLiveBrokers([]);
        LogResigned(_logger, _brokerId, _epoch);
    }

    private async Task ElectAsync(CancellationToken cancellationToken)
    {
        if (_isActive)
        {
            return;
        }

        byte[] registration = Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"version\":1,\"brokerid\":{_brokerId},\"timestamp\":\"{_time.GetUtcNow().ToUnixTimeMilliseconds()}\"}}"));
        try
        {
            await _store.CreateAsync(ZkPaths.Controller, registration, CreateMode.Ephemeral, cancellationToken).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
        {
            // Someone else leads; try again when their node goes away.
            NodeStat? stat = await _store.ExistsAsync(ZkPaths.Controller, new CallbackWatcher(_ => _loop.Post(() => ElectAsync(CancellationToken.None))), cancellationToken).ConfigureAwait(false);
            if (stat is null)
            {
                _loop.Post(() => ElectAsync(CancellationToken.None));
            }

            return;
        }

        await IncrementEpochAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _isActive, true);
        LogElected(_logger, _brokerId, _epoch);
        await LoadAndSyncAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task IncrementEpochAsync(CancellationToken cancellationToken)
    {
        NodeData? current = await _store.GetDataAsync(ZkPaths.ControllerEpoch, null, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            _epoch = 1;
            await _store.CreateAsync(ZkPaths.ControllerEpoch, Encoding.UTF8.GetBytes("1"), CreateMode.Persistent, cancellationToken).ConfigureAwait(false);
            NodeStat? stat = await _store.ExistsAsync(ZkPaths.ControllerEpoch, null, cancellationToken).ConfigureAwait(false);
            _epochZkVersion = stat?.Version ?? 0;
            return;
        }

        int epoch = int.Parse(Encoding.UTF8.GetString(current.Data.Span), NumberStyles.Integer, CultureInfo.InvariantCulture) + 1;
        NodeStat updated = await _store.SetDataAsync(
            ZkPaths.ControllerEpoch,
            Encoding.UTF8.GetBytes(epoch.ToString(CultureInfo.InvariantCulture)),
            current.Stat.Version,
            cancellationToken).ConfigureAwait(false);
        _epoch = epoch;
        _epochZkVersion = updated.Version;
    }

    /// <summary>Reads brokers and topics, gives every partition without state a leader, and tells every broker everything.</summary>
    private async Task LoadAndSyncAsync(CancellationToken cancellationToken)
    {
        await RefreshLiveBrokersAsync(cancellationToken).ConfigureAwait(false);
        _topics.Clear();
        _partitions.Clear();
        _offlineReplicas.Clear();
        IReadOnlyList<string> logDirEvents = await WatchLogDirEventsAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<string> topics = await _store.GetChildrenAsync(ZkPaths.BrokerTopics, new CallbackWatcher(_ => _loop.Post(() => OnTopicsChangedAsync(CancellationToken.None))), cancellationToken).ConfigureAwait(false) ?? [];
        foreach (string topic in topics)
        {
            await LoadTopicAsync(topic, cancellationToken).ConfigureAwait(false);
        }

        await InitializeMissingLeadershipAsync(cancellationToken).ConfigureAwait(false);

        // Brokers may have died while no controller was watching (the old controller among them).
        await ElectForUnavailableBrokersAsync(cancellationToken).ConfigureAwait(false);
        await WatchDeletionsAsync(cancellationToken).ConfigureAwait(false);
        await SendEverythingAsync(cancellationToken).ConfigureAwait(false);

        // The LeaderAndIsr just sent asked every broker about every replica: that handles the
        // log-dir events written before this election (their answers mark offline replicas).
        await DeleteLogDirEventsAsync(logDirEvents, cancellationToken).ConfigureAwait(false);
    }

    private async Task RefreshLiveBrokersAsync(CancellationToken cancellationToken)
    {
        _liveBrokers.Clear();
        IReadOnlyList<string> ids = await _store.GetChildrenAsync(ZkPaths.BrokerIds, new CallbackWatcher(_ => _loop.Post(() => OnBrokersChangedAsync(CancellationToken.None))), cancellationToken).ConfigureAwait(false) ?? [];
        foreach (string id in ids)
        {
            NodeData? data = await _store.GetDataAsync(ZkPaths.BrokerIds + "/" + id, null, cancellationToken).ConfigureAwait(false);
            if (data is not null)
            {
                BrokerRegistration registration = BrokerRegistration.Decode(data.Data.Span, data.Stat.Czxid, int.Parse(id, NumberStyles.None, CultureInfo.InvariantCulture));
                _liveBrokers[registration.BrokerId] = registration;
            }
        }

        _shuttingDown.IntersectWith(_liveBrokers.Keys);
        _channel.SetLiveBrokers(_liveBrokers.Values);
    }

    private async Task LoadTopicAsync(string topic, CancellationToken cancellationToken)
    {
        NodeData? data = await _store.GetDataAsync(ZkPaths.Topic(topic), null, cancellationToken).ConfigureAwait(false);
        if (data is null)
        {
            return;
        }

        TopicAssignmentZNode assignment = TopicAssignmentZNode.Decode(data.Data.Span);
        _topics[topic] = new TopicInfo(topic, assignment.TopicId, new Dictionary<int, int[]>(assignment.Partitions));
        foreach (int partition in assignment.Partitions.Keys)
        {
            NodeData? state = await _store.GetDataAsync(ZkPaths.TopicPartitionState(topic, partition), null, cancellationToken).ConfigureAwait(false);
            if (state is not null)
            {
                _partitions[(topic, partition)] = new PartitionLeadership(PartitionStateZNode.Decode(state.Data.Span), state.Stat.Version);
            }
        }
    }

    /// <summary>New partitions get leader = first live replica and ISR = the live replicas, epoch 0; one with no live replica waits.</summary>
    private async Task InitializeMissingLeadershipAsync(CancellationToken cancellationToken)
    {
        foreach (TopicInfo topic in _topics.Values)
        {
            List<(int Partition, PartitionStateZNode State)>? fresh = null;
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                if (_partitions.ContainsKey((topic.Name, partition)))
                {
                    continue;
                }

                var isr = new List<int>();
                foreach (int replica in replicas)
                {
                    if (IsEligible(replica))
                    {
                        isr.Add(replica);
                    }
                }

                if (isr.Count == 0)
                {
                    // No replica is live (they died between the topic's assignment and this, the
                    // controller among them). Written now, the state would have no leader and an
                    // empty ISR, which no clean election can ever fill; left unwritten, the
                    // partition stays new, and the first of its replicas to start leads it (the
                    // brokers-started path runs this again), as Kafka's NewPartition state does.
                    continue;
                }

                (fresh ??= []).Add((partition, new PartitionStateZNode(_epoch, isr[0], 0, [.. isr])));
            }

            if (fresh is not null)
            {
                await CreatePartitionStatesAsync(topic.Name, fresh, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Writes new partitions' first states, many per transaction (a 6,000-partition topic was two
    /// writes per partition, each its own round trip and, in the embedded store, its own fsync).
    /// 200 partitions (400 creates) stay under ZooKeeper's 1 MB request limit (jute.maxbuffer)
    /// even with 249-character topic names. A chunk that meets a node already there (a controller
    /// before us wrote part of it) is written one partition at a time, taking what exists.
    /// </summary>
    private async Task CreatePartitionStatesAsync(string topic, List<(int Partition, PartitionStateZNode State)> fresh, CancellationToken cancellationToken)
    {
        const int PartitionsPerWrite = 200;
        await CreatePathAsync(ZkPaths.TopicPartitions(topic), cancellationToken).ConfigureAwait(false);
        for (int first = 0; first < fresh.Count; first += PartitionsPerWrite)
        {
            int count = Math.Min(PartitionsPerWrite, fresh.Count - first);
            var operations = new List<CoordinationOp>(count * 2);
            for (int i = first; i < first + count; i++)
            {
                (int partition, PartitionStateZNode state) = fresh[i];
                operations.Add(CoordinationOp.Create(ZkPaths.TopicPartition(topic, partition), ReadOnlyMemory<byte>.Empty, CreateMode.Persistent));
                operations.Add(CoordinationOp.Create(ZkPaths.TopicPartitionState(topic, partition), state.Encode(), CreateMode.Persistent));
            }

            try
            {
                await _store.MultiAsync(operations, cancellationToken).ConfigureAwait(false);
                for (int i = first; i < first + count; i++)
                {
                    _partitions[(topic, fresh[i].Partition)] = new PartitionLeadership(fresh[i].State, 0);
                }
            }
            catch (CoordinationException e) when (e.Error is CoordinationError.NodeExists or CoordinationError.ConnectionLoss)
            {
                // Written before, or maybe just now (the answer was lost): one at a time, taking what is there.
                for (int i = first; i < first + count; i++)
                {
                    await CreatePartitionStateAsync(topic, fresh[i].Partition, fresh[i].State, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task CreatePartitionStateAsync(string topic, int partition, PartitionStateZNode state, CancellationToken cancellationToken)
    {
        await CreatePathAsync(ZkPaths.TopicPartition(topic, partition), cancellationToken).ConfigureAwait(false);
        try
        {
            await CreateRetryingAsync(ZkPaths.TopicPartitionState(topic, partition), state.Encode(), cancellationToken).ConfigureAwait(false);
            _partitions[(topic, partition)] = new PartitionLeadership(state, 0);
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
        {
            NodeData? existing = await _store.GetDataAsync(ZkPaths.TopicPartitionState(topic, partition), null, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                _partitions[(topic, partition)] = new PartitionLeadership(PartitionStateZNode.Decode(existing.Data.Span), existing.Stat.Version);
            }
        }
    }

    private async Task CreatePathAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await CreateRetryingAsync(path, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
        {
        }
    }

    /// <summary>
    /// Creates a persistent node, sent again when the answer was lost. NodeExists after such a loss
    /// may be this call's own first attempt: only callers for whom an existing node is as good as a
    /// new one use this.
    /// </summary>
    private Task CreateRetryingAsync(string path, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        ConnectionLoss.ResendAsync(() => _store.CreateAsync(path, data, CreateMode.Persistent, cancellationToken).AsTask());

    /// <summary>
    /// /brokers/ids changed: brokers that disappeared failed; new ones started; one whose registration
    /// has a new czxid (broker epoch) restarted between two looks and is handled as both.
    /// </summary>
    private async Task OnBrokersChangedAsync(CancellationToken cancellationToken)
    {
        if (!_isActive)
        {
            return;
        }

        var before = new Dictionary<int, BrokerRegistration>(_liveBrokers);
        await RefreshLiveBrokersAsync(cancellationToken).ConfigureAwait(false);
        var failed = new HashSet<int>();
        var started = new HashSet<int>();
        foreach ((int id, BrokerRegistration old) in before)
        {
            if (!_liveBrokers.TryGetValue(id, out BrokerRegistration? now))
            {
                failed.Add(id);
            }
            else if (now.BrokerEpoch != old.BrokerEpoch)
            {
                failed.Add(id);
                started.Add(id);
            }
        }

        foreach (int id in _liveBrokers.Keys)
        {
            if (!before.ContainsKey(id))
            {
                started.Add(id);
            }
        }

        // A broker that restarted is no longer shutting down, and its replicas are asked about anew.
        _shuttingDown.ExceptWith(failed);
        ForgetOfflineReplicas(failed);
        if (failed.Count > 0)
        {
            LogBrokersFailed(_logger, failed);
            await OnBrokersFailedAsync(failed, cancellationToken).ConfigureAwait(false);
        }

        if (started.Count > 0)
        {
            LogBrokersStarted(_logger, started);
            await OnBrokersStartedAsync(started, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task OnTopicsChangedAsync(CancellationToken cancellationToken)
    {
        if (!_isActive)
        {
            return;
        }

        IReadOnlyList<string> topics = await _store.GetChildrenAsync(ZkPaths.BrokerTopics, new CallbackWatcher(_ => _loop.Post(() => OnTopicsChangedAsync(CancellationToken.None))), cancellationToken).ConfigureAwait(false) ?? [];
        var added = new List<string>();
        foreach (string topic in topics)
        {
            if (!_topics.ContainsKey(topic))
            {
                await LoadTopicAsync(topic, cancellationToken).ConfigureAwait(false);
                added.Add(topic);
            }
        }

        if (added.Count > 0)
        {
            await InitializeMissingLeadershipAsync(cancellationToken).ConfigureAwait(false);
            await SendTopicsAsync(added, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The leadership of every partition of a topic, for the Metadata and CreateTopics paths.</summary>
    internal IReadOnlyDictionary<(string Topic, int Partition), PartitionLeadership> Partitions => _partitions;

    /// <summary>Completes once every event queued on the controller loop before it has run (tests).</summary>
    internal Task WhenIdleAsync(CancellationToken cancellationToken) => _loop.SubmitAsync(static () => Task.FromResult(true), cancellationToken);

    /// <summary>
    /// Queues a request's work on the loop and runs it to its end under the controller's lifetime,
    /// not the requester's: a client that goes away (its connection closed) only stops waiting. Cut
    /// short, the work would leave the store written but its leadership, in-memory state and
    /// LeaderAndIsr undone (an auto-created topic then answered LEADER_NOT_AVAILABLE for good).
    /// Kafka's controller, too, finishes an event whose requester has left. Work whose requester
    /// left before it started is dropped: nothing of it is written yet.
    /// </summary>
    private Task<T> RunToEndAsync<T>(Func<CancellationToken, Task<T>> work, CancellationToken waitCancellation)
    {
        CancellationToken stopping = _stoppingToken;
        return _loop.SubmitAsync(() => waitCancellation.IsCancellationRequested ? Task.FromCanceled<T>(waitCancellation) : work(stopping), waitCancellation);
    }

    public async ValueTask DisposeAsync()
    {
        _store.SessionStateChanged -= OnSessionStateChanged;
        _channel.LeaderAndIsrAnswered -= OnLeaderAndIsrAnswered;
        Volatile.Write(ref _isActive, false);
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _rebalancing.ConfigureAwait(false);
        await _loop.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker {BrokerId} is the controller (epoch {Epoch}).")]
    private static partial void LogElected(ILogger logger, int brokerId, int epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker {BrokerId} is no longer the controller (epoch {Epoch}).")]
    private static partial void LogResigned(ILogger logger, int brokerId, int epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller: brokers {BrokerIds} failed.")]
    private static partial void LogBrokersFailed(ILogger logger, IReadOnlyCollection<int> brokerIds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller: brokers {BrokerIds} started.")]
    private static partial void LogBrokersStarted(ILogger logger, IReadOnlyCollection<int> brokerIds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Controller event failed.")]
    private static partial void LogLoopFailure(ILogger logger, Exception exception);

    /// <summary>A topic as the controller keeps it: id and replica assignment per partition.</summary>
    internal sealed record TopicInfo(string Name, Uuid TopicId, Dictionary<int, int[]> Partitions);

    /// <summary>A partition's state znode and its version (the partition epoch, for compare-and-set).</summary>
    internal sealed record PartitionLeadership(PartitionStateZNode State, int ZkVersion);

    /// <summary>A one-shot watch that runs a callback.</summary>
    private sealed class CallbackWatcher(Action<WatchEvent> callback) : IWatcher
    {
        public void Process(WatchEvent e) => callback(e);
    }
}
