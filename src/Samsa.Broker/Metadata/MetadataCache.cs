using System.Collections.Frozen;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Metadata;

/// <summary>
/// What this broker believes about the cluster: live brokers, topics, partition leaders. Filled
/// only by the controller's UpdateMetadata requests (the same message in standalone and cluster
/// mode) and read by Metadata, Produce, Fetch and the admin handlers. Readers take an immutable
/// snapshot with one volatile read; the controller's updates are applied one at a time.
/// </summary>
internal sealed class MetadataCache
{
    private readonly Lock _updateLock = new();
    private volatile Snapshot _snapshot;
    private TaskCompletionSource _updated = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public MetadataCache(int brokerId, string clusterId)
    {
        BrokerId = brokerId;
        ClusterId = clusterId;
        _snapshot = new Snapshot(-1, -1, FrozenDictionary<int, BrokerNode>.Empty, FrozenDictionary<string, TopicState>.Empty, FrozenDictionary<Uuid, string>.Empty);
    }

    public int BrokerId { get; }

    public string ClusterId { get; }

    public Snapshot Current => _snapshot;

    /// <summary>
    /// Applies an UpdateMetadata: the live broker list is replaced; partition states are merged
    /// (leader -2 marks a partition of a topic being deleted, which is removed). A request from an
    /// older controller epoch than the last applied is ignored; returns false then.
    /// </summary>
    public bool Apply(UpdateMetadataRequestData request)
    {
        lock (_updateLock)
        {
            Snapshot current = _snapshot;
            if (request.ControllerEpoch < current.ControllerEpoch)
            {
                return false;
            }

            var brokers = new Dictionary<int, BrokerNode>();
            foreach (UpdateMetadataRequestData.UpdateMetadataBroker broker in request.LiveBrokers)
            {
                var endpoints = new List<BrokerEndpoint>(broker.Endpoints.Count);
                foreach (UpdateMetadataRequestData.UpdateMetadataEndpoint endpoint in broker.Endpoints)
                {
                    endpoints.Add(new BrokerEndpoint(endpoint.Listener, endpoint.Host, endpoint.Port));
                }

                brokers[broker.Id] = new BrokerNode(broker.Id, endpoints, broker.Rack);
            }

            var topics = new Dictionary<string, TopicState>(current.Topics, StringComparer.Ordinal);
            foreach (UpdateMetadataRequestData.UpdateMetadataTopicState topic in request.TopicStates)
            {
                topics.TryGetValue(topic.TopicName, out TopicState? existing);
                var partitions = new SortedDictionary<int, PartitionState>();
                if (existing is not null && existing.TopicId == topic.TopicId)
                {
                    foreach (PartitionState p in existing.Partitions)
                    {
                        partitions[p.Partition] = p;
                    }
                }

                bool deleted = false;
                foreach (UpdateMetadataRequestData.UpdateMetadataPartitionState p in topic.PartitionStates)
                {
                    if (p.Leader == LeaderDuringDelete)
                    {
                        deleted = true;
                        partitions.Remove(p.PartitionIndex);
                        continue;
                    }

                    partitions[p.PartitionIndex] = new PartitionState(p.PartitionIndex, p.Leader, p.LeaderEpoch, [.. p.Replicas], [.. p.Isr], [.. p.OfflineReplicas], p.ZkVersion);
                }

                if (deleted && partitions.Count == 0)
                {
                    topics.Remove(topic.TopicName);
                    continue;
                }

                var array = new PartitionState[partitions.Count];
                partitions.Values.CopyTo(array, 0);
                topics[topic.TopicName] = new TopicState(topic.TopicName, topic.TopicId, array);
            }

            var names = new Dictionary<Uuid, string>();
            foreach (TopicState topic in topics.Values)
            {
                if (!topic.TopicId.IsZero)
                {
                    names[topic.TopicId] = topic.Name;
                }
            }

            _snapshot = new Snapshot(request.ControllerId, request.ControllerEpoch, brokers.ToFrozenDictionary(), topics.ToFrozenDictionary(StringComparer.Ordinal), names.ToFrozenDictionary());
            Interlocked.Exchange(ref _updated, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            return true;
        }
    }

    /// <summary>
    /// Waits until the controller has told this broker about the cluster including this broker
    /// itself (and who the controller is), or until <paramref name="timeout"/>. A cluster broker
    /// waits for this before it reports itself started, so its first Metadata answers are not an
    /// empty cluster without a controller, which clients' admin requests would wait on.
    /// </summary>
    /// <returns>False on timeout.</returns>
    public async Task<bool> WaitUntilKnownAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task updated = Volatile.Read(ref _updated).Task;
            Snapshot current = _snapshot;
            if (current.ControllerId >= 0 && current.Brokers.ContainsKey(BrokerId))
            {
                return true;
            }

            try
            {
                await updated.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }

    /// <summary>UpdateMetadata's leader value for a partition whose topic is being deleted.</summary>
    public const int LeaderDuringDelete = -2;

    /// <summary>One consistent view of the cluster.</summary>
    internal sealed record Snapshot(
        int ControllerId,
        int ControllerEpoch,
        FrozenDictionary<int, BrokerNode> Brokers,
        FrozenDictionary<string, TopicState> Topics,
        FrozenDictionary<Uuid, string> TopicNamesById)
    {
        /// <summary>No UpdateMetadata from a controller yet (a broker just started): the cache knows nothing.</summary>
        public bool BeforeFirstUpdate => ControllerEpoch < 0;

        public TopicState? Topic(string name) => Topics.GetValueOrDefault(name);

        public TopicState? Topic(Uuid id) => TopicNamesById.TryGetValue(id, out string? name) ? Topics.GetValueOrDefault(name) : null;

        public PartitionState? Partition(string topic, int partition)
        {
            TopicState? state = Topic(topic);
            return state is not null && (uint)partition < (uint)state.Partitions.Length ? state.Partitions[partition] : null;
        }

        /// <summary>
        /// The error for a partition request this broker cannot serve as leader:
        /// UNKNOWN_TOPIC_OR_PARTITION only when the controller's metadata says there is no such
        /// partition. Before the controller's first update (a broker just started) the cache knows
        /// nothing, so the answer is NOT_LEADER_OR_FOLLOWER: retriable, and it sends the client to
        /// Metadata, which waits for that update. librdkafka reports UNKNOWN_TOPIC_OR_PARTITION to
        /// the application (a consumer's "Failed to query logical offset", seen in the chaos loop).
        /// </summary>
        public ErrorCode NotLeaderError(string topic, int partition) =>
            !BeforeFirstUpdate && Partition(topic, partition) is null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.NotLeaderOrFollower;
    }
}
