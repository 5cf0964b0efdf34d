using Samsa.Broker.Controller;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Metadata (3): brokers, the controller and the partitions of the topics asked for, from the
/// metadata cache. Unknown topics are created when both the client and auto.create.topics.enable
/// allow it, with the broker's default partitions and replication factor.
/// </summary>
/// <param name="partitions">This broker's replicas: one whose log is offline (disk fault) is shown as Kafka shows an offline replica.</param>
/// <param name="firstUpdateWait">How long a Metadata request that arrives before the broker knows the cluster waits for it (<see cref="FirstUpdateWaitFor"/>).</param>
internal sealed class MetadataHandler(MetadataCache metadata, KafkaController controller, bool autoCreateTopicsEnable, LocalPartitions partitions, int brokerId, TimeSpan firstUpdateWait) : RequestHandler<MetadataRequestData, MetadataResponseData>
{
    /// <summary>Kafka's "authorized operations not requested" marker.</summary>
    private const int OperationsNotRequested = int.MinValue;

    public override ApiKey ApiKey => ApiKey.Metadata;

    /// <summary>
    /// How long a just-started cluster broker waits for the controller's first UpdateMetadata:
    /// twice the ZooKeeper session. A broker restarted right after a crash registers only once its
    /// old session has expired (up to a whole session), and the update follows; a 5-s wait ran out
    /// first under a 6-s session (bench/chaos.sh --seed 1132, round 27), and librdkafka, answered
    /// from the empty cache, dropped the topic and failed every message it had queued for it.
    /// </summary>
    public static TimeSpan FirstUpdateWaitFor(int zooKeeperSessionTimeoutMs) =>
        TimeSpan.FromMilliseconds(Math.Max(zooKeeperSessionTimeoutMs, 1000) * 2L);

    public override short MinVersion => 0;

    public override short MaxVersion => 12;

    protected override async ValueTask<MetadataResponseData?> HandleAsync(RequestContext context, MetadataRequestData request, CancellationToken cancellationToken)
    {
        MetadataCache.Snapshot snapshot = metadata.Current;
        if (snapshot.BeforeFirstUpdate)
        {
            // Just started: the listener is up before the controller's first UpdateMetadata. An
            // answer from the empty cache (no brokers, every topic unknown) makes librdkafka forget
            // the brokers it knew and fail every queued message of a topic it now thinks deleted,
            // so wait for that first update (bounded; a later answer is no worse than today's).
            await metadata.WaitUntilKnownAsync(firstUpdateWait, cancellationToken).ConfigureAwait(false);
            snapshot = metadata.Current;
        }

        bool allTopics = request.Topics is null || (context.ApiVersion == 0 && request.Topics.Count == 0);
        var wanted = new List<(string? Name, Uuid Id)>();
        if (!allTopics)
        {
            foreach (MetadataRequestData.MetadataRequestTopic topic in request.Topics!)
            {
                wanted.Add((topic.Name, topic.TopicId));
            }
        }

        // Auto-create before answering, so the answer already carries the new topic's leaders.
        bool autoCreate = autoCreateTopicsEnable && request.AllowAutoTopicCreation;
        var pending = new HashSet<string>(StringComparer.Ordinal);
        if (autoCreate && !allTopics)
        {
            var missing = new List<TopicCreation>();
            foreach ((string? name, Uuid id) in wanted)
            {
                if (name is not null && id.IsZero && snapshot.Topic(name) is null && TopicNameRules.Validate(name) is null && !name.StartsWith("__", StringComparison.Ordinal))
                {
                    missing.Add(new TopicCreation(name, -1, -1, null, new Dictionary<string, string>()));
                }
            }

            if (missing.Count > 0)
            {
                // Any broker may auto-create (the controller picks the topic up); the answer then says LEADER_NOT_AVAILABLE until leaders exist.
                IReadOnlyList<TopicCreationResult> created = await StoreFailure.AnswerAsync(
                    () => controller.AutoCreateTopicsAsync(missing, cancellationToken),
                    controller,
                    (error, message) => missing.ConvertAll(topic => TopicCreationResult.Failed(topic.Name, error, message))).ConfigureAwait(false);
                snapshot = metadata.Current;
                foreach (TopicCreationResult result in created)
                {
                    // A store failure (REQUEST_TIMED_OUT) may have created the topic: the client asks again.
                    // Kafka answers its own REQUEST_TIMED_OUT here LEADER_NOT_AVAILABLE too
                    // (createTopicsInZk), a creation that threw UNKNOWN_SERVER_ERROR, which clients do not retry.
                    if (result.Error is ErrorCode.None or ErrorCode.TopicAlreadyExists or ErrorCode.RequestTimedOut && snapshot.Topic(result.Name) is null)
                    {
                        pending.Add(result.Name);
                    }
                }
            }
        }

        var response = new MetadataResponseData
        {
            ClusterId = metadata.ClusterId,
            ControllerId = snapshot.ControllerId,

            // librdkafka's DescribeCluster asks here (Metadata v8-10), not through DescribeCluster (60).
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? DescribeClusterHandler.AllClusterOperations : OperationsNotRequested,
        };
        foreach (BrokerNode broker in snapshot.Brokers.Values)
        {
            BrokerEndpoint? endpoint = broker.EndpointFor(context.ListenerName);
            if (endpoint is not null)
            {
                response.Brokers.Add(new MetadataResponseData.MetadataResponseBroker { NodeId = broker.Id, Host = endpoint.Host, Port = endpoint.Port, Rack = broker.Rack });
            }
        }

        if (allTopics)
        {
            foreach (TopicState topic in snapshot.Topics.Values)
            {
                response.Topics.Add(Describe(topic, request.IncludeTopicAuthorizedOperations, partitions, brokerId));
            }

            return response;
        }

        foreach ((string? name, Uuid id) in wanted)
        {
            TopicState? topic = name is not null ? snapshot.Topic(name) : snapshot.Topic(id);
            if (topic is not null)
            {
                response.Topics.Add(Describe(topic, request.IncludeTopicAuthorizedOperations, partitions, brokerId));
                continue;
            }

            ErrorCode error = name is not null && pending.Contains(name) ? ErrorCode.LeaderNotAvailable
                : name is not null && TopicNameRules.Validate(name) is not null
                ? ErrorCode.InvalidTopicException
                : name is null ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition;
            response.Topics.Add(new MetadataResponseData.MetadataResponseTopic { ErrorCode = (short)error, Name = name, TopicId = id });
        }

        return response;
    }

    private static MetadataResponseData.MetadataResponseTopic Describe(TopicState topic, bool includeOperations, LocalPartitions local, int brokerId)
    {
        var result = new MetadataResponseData.MetadataResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.TopicId,
            IsInternal = topic.IsInternal,
            TopicAuthorizedOperations = includeOperations ? AllTopicOperations : OperationsNotRequested,
        };
        foreach (PartitionState partition in topic.Partitions)
        {
            var described = new MetadataResponseData.MetadataResponsePartition
            {
                ErrorCode = (short)(partition.Leader < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None),
                PartitionIndex = partition.Partition,
                LeaderId = partition.Leader,
                LeaderEpoch = partition.LeaderEpoch,
                ReplicaNodes = [.. partition.Replicas],
                IsrNodes = [.. partition.Isr],
                OfflineReplicas = [.. partition.OfflineReplicas],
            };
            if (local.IsOffline(topic.Name, partition.Partition))
            {
                ShowOffline(described, brokerId);
            }

            result.Partitions.Add(described);
        }

        return result;
    }

    /// <summary>
    /// Our replica's log is offline: listed in offline_replicas, and when we were its leader the
    /// partition has none (leader -1, LEADER_NOT_AVAILABLE), as Kafka's metadata shows a partition
    /// whose only ISR replica went offline. In a cluster this covers the moment until the
    /// controller, told through a log-dir event, elects another leader and says so.
    /// </summary>
    private static void ShowOffline(MetadataResponseData.MetadataResponsePartition partition, int brokerId)
    {
        if (!partition.OfflineReplicas.Contains(brokerId))
        {
            partition.OfflineReplicas.Add(brokerId);
        }

        if (partition.LeaderId == brokerId)
        {
            partition.LeaderId = -1;
            partition.ErrorCode = (short)ErrorCode.LeaderNotAvailable;
        }
    }

    /// <summary>No authorizer: every topic operation is allowed (READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS as bits).</summary>
    private const int AllTopicOperations = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);
}
