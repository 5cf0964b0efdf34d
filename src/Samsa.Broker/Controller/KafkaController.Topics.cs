using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Controller;

/// <summary>Topic creation, partition growth and deletion, run on the controller loop.</summary>
internal sealed partial class KafkaController
{
    /// <summary>
    /// Kafka's KRaft controller refuses a CreateTopics that would make more than 10,000 partitions
    /// (ReplicationControlManager.MAX_PARTITIONS_PER_BATCH, answered POLICY_VIOLATION); we apply the
    /// same cap to the partitions one CreatePartitions adds to a topic. Without it one request asking
    /// for 2^31 partitions had the controller build a 240 MB assignment (found by bench/Samsa.Fuzzer).
    /// </summary>
    internal const int MaxPartitionsPerRequest = 10_000;

    private const string TooManyPartitionsPerRequest = "Excessively large number of partitions per request.";

    /// <summary>Creates topics (or, with <paramref name="validateOnly"/>, checks that it could).</summary>
    public Task<IReadOnlyList<TopicCreationResult>> CreateTopicsAsync(IReadOnlyList<TopicCreation> topics, bool validateOnly, CancellationToken cancellationToken) =>
        RunToEndAsync(stopping => CreateTopicsOnLoopAsync(topics, validateOnly, stopping), cancellationToken);

    private async Task<IReadOnlyList<TopicCreationResult>> CreateTopicsOnLoopAsync(IReadOnlyList<TopicCreation> topics, bool validateOnly, CancellationToken cancellationToken)
    {
        var results = new List<TopicCreationResult>(topics.Count);
        if (ExceedsPartitionsPerRequest(topics))
        {
            foreach (TopicCreation topic in topics)
            {
                results.Add(TopicCreationResult.Failed(topic.Name, ErrorCode.PolicyViolation, TooManyPartitionsPerRequest));
            }

            return results;
        }

        var created = new List<string>();
        foreach (TopicCreation topic in topics)
        {
            if (!_isActive)
            {
                results.Add(TopicCreationResult.Failed(topic.Name, ErrorCode.NotController, "This broker is not the controller."));
                continue;
            }

            TopicCreationResult result = Validate(topic, out Dictionary<int, int[]>? assignment);
            if (result.Error != ErrorCode.None || validateOnly)
            {
                results.Add(result);
                continue;
            }

            Uuid topicId = Uuid.NewRandom();
            if (!await CreateTopicZNodesAsync(topic, topicId, assignment!, cancellationToken).ConfigureAwait(false))
            {
                results.Add(TopicCreationResult.Failed(topic.Name, ErrorCode.TopicAlreadyExists, $"Topic '{topic.Name}' already exists."));
                continue;
            }

            _topics[topic.Name] = new TopicInfo(topic.Name, topicId, assignment!);
            created.Add(topic.Name);
            results.Add(result with { TopicId = topicId });
        }

        if (created.Count > 0)
        {
            await InitializeMissingLeadershipAsync(cancellationToken).ConfigureAwait(false);
            await SendTopicsAsync(created, cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    /// <summary>
    /// Writes a new topic's config and assignment in one transaction. A connection lost before the
    /// answer (a ZooKeeper leader election, say) leaves it unknown whether the write happened: it is
    /// sent again once the session is connected, and a topic found there with this topic id is the
    /// first attempt's (Kafka's controller would answer TOPIC_ALREADY_EXISTS for its own topic).
    /// </summary>
    /// <returns>False when the topic existed before.</returns>
    private async Task<bool> CreateTopicZNodesAsync(TopicCreation topic, Uuid topicId, Dictionary<int, int[]> assignment, CancellationToken cancellationToken)
    {
        // Config first, then the assignment: a broker that sees the topic finds its config.
        CoordinationOp[] operations =
        [
            CoordinationOp.Create(ZkPaths.TopicConfig(topic.Name), new ConfigZNode(topic.Configs).Encode(), CreateMode.Persistent),
            CoordinationOp.Create(ZkPaths.Topic(topic.Name), new TopicAssignmentZNode(topicId, assignment).Encode(), CreateMode.Persistent),
        ];
        int attempts = 0;
        try
        {
            await ConnectionLoss.ResendAsync(() =>
            {
                attempts++;
                return WriteFencedAsync(operations, cancellationToken);
            }).ConfigureAwait(false);
            return true;
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
        {
            if (attempts == 1)
            {
                return false;
            }

            NodeData? existing = await _store.GetDataAsync(ZkPaths.Topic(topic.Name), null, cancellationToken).ConfigureAwait(false);
            return existing is not null && TopicAssignmentZNode.Decode(existing.Data.Span).TopicId == topicId;
        }
    }

    /// <summary>
    /// Creation on behalf of the broker itself (auto-creation from Metadata, internal topics): as in
    /// ZooKeeper-mode Kafka any broker may do it, by writing the topic's znodes, which the
    /// controller then picks up through its /brokers/topics watch. On the controller this is
    /// <see cref="CreateTopicsAsync"/>.
    /// </summary>
    public Task<IReadOnlyList<TopicCreationResult>> AutoCreateTopicsAsync(IReadOnlyList<TopicCreation> topics, CancellationToken cancellationToken) =>
        IsActive
            ? CreateTopicsAsync(topics, validateOnly: false, cancellationToken)
            : RunToEndAsync(stopping => WriteTopicsAsBrokerAsync(topics, stopping), cancellationToken);

    /// <summary>Not the controller: places the topics over the registered brokers and writes them unfenced.</summary>
    private async Task<IReadOnlyList<TopicCreationResult>> WriteTopicsAsBrokerAsync(IReadOnlyList<TopicCreation> topics, CancellationToken cancellationToken)
    {
        var brokers = new List<(int Id, string? Rack)>();
        IReadOnlyList<string> ids = await _store.GetChildrenAsync(ZkPaths.BrokerIds, null, cancellationToken).ConfigureAwait(false) ?? [];
        foreach (string id in ids)
        {
            NodeData? data = await _store.GetDataAsync(ZkPaths.BrokerIds + "/" + id, null, cancellationToken).ConfigureAwait(false);
            if (data is not null)
            {
                BrokerRegistration registration = BrokerRegistration.Decode(data.Data.Span, data.Stat.Czxid, int.Parse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture));
                brokers.Add((registration.BrokerId, registration.Rack));
            }
        }

        var results = new List<TopicCreationResult>(topics.Count);
        foreach (TopicCreation topic in topics)
        {
            int partitions = topic.NumPartitions == -1 ? _options.DefaultNumPartitions : topic.NumPartitions;
            int factor = topic.ReplicationFactor == -1 ? _options.DefaultReplicationFactor : topic.ReplicationFactor;
            if (TopicNameRules.Validate(topic.Name) is string nameError)
            {
                results.Add(TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidTopicException, nameError));
                continue;
            }

            if (partitions <= 0 || factor <= 0 || factor > brokers.Count)
            {
                results.Add(TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicationFactor, $"Replication factor: {factor} larger than available brokers: {brokers.Count}."));
                continue;
            }

            Dictionary<int, int[]>? assignment = topic.Assignment is { Count: > 0 } given
                ? new Dictionary<int, int[]>(given)
                : ReplicaPlacement.Assign(brokers, partitions, factor, 0, _placementRandom);
            if (assignment is null)
            {
                results.Add(TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicaAssignment, NotAllBrokersHaveRacks));
                continue;
            }

            Uuid topicId = Uuid.NewRandom();
            try
            {
                await _store.MultiAsync(
                    [
                        CoordinationOp.Create(ZkPaths.TopicConfig(topic.Name), new ConfigZNode(topic.Configs).Encode(), CreateMode.Persistent),
                        CoordinationOp.Create(ZkPaths.Topic(topic.Name), new TopicAssignmentZNode(topicId, assignment).Encode(), CreateMode.Persistent),
                    ],
                    cancellationToken).ConfigureAwait(false);
                results.Add(new TopicCreationResult(topic.Name, ErrorCode.None, null, topicId, assignment.Count, factor));
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
            {
                results.Add(TopicCreationResult.Failed(topic.Name, ErrorCode.TopicAlreadyExists, $"Topic '{topic.Name}' already exists."));
            }
        }

        return results;
    }

    private TopicCreationResult Validate(TopicCreation topic, out Dictionary<int, int[]>? assignment)
    {
        assignment = null;
        if (TopicNameRules.Validate(topic.Name) is string nameError)
        {
            return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidTopicException, nameError);
        }

        if (_topics.ContainsKey(topic.Name))
        {
            return TopicCreationResult.Failed(topic.Name, ErrorCode.TopicAlreadyExists, $"Topic '{topic.Name}' already exists.");
        }

        string collisionKey = TopicNameRules.CollisionKey(topic.Name);
        foreach (string existing in _topics.Keys)
        {
            if (TopicNameRules.CollisionKey(existing) == collisionKey)
            {
                return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidTopicException, $"Topic '{topic.Name}' collides with existing topics: {existing}");
            }
        }

        if (_options.ValidateTopicConfig(topic.Configs) is string configError)
        {
            return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidConfig, configError);
        }

        var brokers = new List<int>(_liveBrokers.Keys);
        if (topic.Assignment is { Count: > 0 } explicitAssignment)
        {
            if (topic.NumPartitions != -1 || topic.ReplicationFactor != -1)
            {
                return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidRequest, "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.");
            }

            int replicationFactor = -1;
            for (int p = 0; p < explicitAssignment.Count; p++)
            {
                if (!explicitAssignment.TryGetValue(p, out int[]? replicas) || replicas.Length == 0)
                {
                    return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicaAssignment, "Partitions should be a consecutive 0-based integer sequence.");
                }

                if (replicationFactor != -1 && replicas.Length != replicationFactor)
                {
                    return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicaAssignment, "All partitions should have the same number of replicas.");
                }

                replicationFactor = replicas.Length;
                var seen = new HashSet<int>();
                foreach (int replica in replicas)
                {
                    if (!seen.Add(replica))
                    {
                        return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicaAssignment, $"Duplicate replica assignment found: {string.Join(',', replicas)}");
                    }

                    if (!_liveBrokers.ContainsKey(replica))
                    {
                        return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicaAssignment, $"Unknown broker {replica} in replica assignment.");
                    }
                }
            }

            assignment = new Dictionary<int, int[]>(explicitAssignment);
            return new TopicCreationResult(topic.Name, ErrorCode.None, null, Uuid.Zero, assignment.Count, replicationFactor);
        }

        int partitions = topic.NumPartitions == -1 ? _options.DefaultNumPartitions : topic.NumPartitions;
        int factor = topic.ReplicationFactor == -1 ? _options.DefaultReplicationFactor : topic.ReplicationFactor;
        if (partitions <= 0)
        {
            return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidPartitions, "Number of partitions must be larger than 0.");
        }

        if (factor <= 0)
        {
            return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0.");
        }

        if (factor > brokers.Count)
        {
            return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicationFactor, $"Replication factor: {factor} larger than available brokers: {brokers.Count}.");
        }

        assignment = ReplicaPlacement.Assign(BrokersWithRacks(), partitions, factor, 0, _placementRandom);
        if (assignment is null)
        {
            return TopicCreationResult.Failed(topic.Name, ErrorCode.InvalidReplicaAssignment, NotAllBrokersHaveRacks);
        }

        return new TopicCreationResult(topic.Name, ErrorCode.None, null, Uuid.Zero, partitions, factor);
    }

    /// <summary>Kafka's refusal when only some brokers have broker.rack (reported as an invalid assignment).</summary>
    private const string NotAllBrokersHaveRacks = "Not all brokers have rack information for replica rack aware assignment.";

    private List<(int Id, string? Rack)> BrokersWithRacks()
    {
        var brokers = new List<(int, string?)>(_liveBrokers.Count);
        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            brokers.Add((broker.BrokerId, broker.Rack));
        }

        return brokers;
    }

    /// <summary>Adds partitions to a topic (CreatePartitions): the count can only grow.</summary>
    public Task<(ErrorCode Error, string? Message)> CreatePartitionsAsync(string topic, int totalCount, IReadOnlyList<int[]>? newAssignments, bool validateOnly, CancellationToken cancellationToken) =>
        RunToEndAsync(stopping => CreatePartitionsOnLoopAsync(topic, totalCount, newAssignments, validateOnly, stopping), cancellationToken);

    private async Task<(ErrorCode, string?)> CreatePartitionsOnLoopAsync(string topic, int totalCount, IReadOnlyList<int[]>? newAssignments, bool validateOnly, CancellationToken cancellationToken)
    {
        if (!_isActive)
        {
            return (ErrorCode.NotController, "This broker is not the controller.");
        }

        if (!_topics.TryGetValue(topic, out TopicInfo? info))
        {
            return (ErrorCode.UnknownTopicOrPartition, $"The topic '{topic}' does not exist.");
        }

        int current = info.Partitions.Count;
        if (totalCount < current)
        {
            return (ErrorCode.InvalidPartitions, $"Topic currently has {current} partitions, which is higher than the requested {totalCount}.");
        }

        if (totalCount == current)
        {
            return (ErrorCode.InvalidPartitions, $"Topic already has {current} partitions.");
        }

        if ((long)totalCount - current > MaxPartitionsPerRequest)
        {
            return (ErrorCode.PolicyViolation, TooManyPartitionsPerRequest);
        }

        int factor = info.Partitions[0].Length;
        var assignment = new Dictionary<int, int[]>(info.Partitions);
        if (newAssignments is { Count: > 0 })
        {
            if (newAssignments.Count != totalCount - current)
            {
                return (ErrorCode.InvalidReplicaAssignment, $"Increasing the number of partitions by {totalCount - current} but {newAssignments.Count} assignments provided.");
            }

            for (int i = 0; i < newAssignments.Count; i++)
            {
                foreach (int broker in newAssignments[i])
                {
                    if (!_liveBrokers.ContainsKey(broker))
                    {
                        return (ErrorCode.InvalidReplicaAssignment, $"Unknown broker {broker} in replica assignment.");
                    }
                }

                assignment[current + i] = newAssignments[i];
            }
        }
        else
        {
            if (factor > _liveBrokers.Count)
            {
                return (ErrorCode.InvalidReplicationFactor, $"Replication factor: {factor} larger than available brokers: {_liveBrokers.Count}.");
            }

            Dictionary<int, int[]>? placed = ReplicaPlacement.Assign(BrokersWithRacks(), totalCount - current, factor, current, _placementRandom);
            if (placed is null)
            {
                return (ErrorCode.InvalidReplicaAssignment, NotAllBrokersHaveRacks);
            }

            foreach ((int p, int[] replicas) in placed)
            {
                assignment[p] = replicas;
            }
        }

        if (validateOnly)
        {
            return (ErrorCode.None, null);
        }

        // An unconditional write of the whole assignment: sent again after a lost answer, it only writes the same again.
        CoordinationOp[] grow = [CoordinationOp.SetData(ZkPaths.Topic(topic), new TopicAssignmentZNode(info.TopicId, assignment).Encode())];
        await ConnectionLoss.ResendAsync(() => WriteFencedAsync(grow, cancellationToken)).ConfigureAwait(false);
        _topics[topic] = info with { Partitions = assignment };
        await InitializeMissingLeadershipAsync(cancellationToken).ConfigureAwait(false);

        // Only the new partitions' replicas need LeaderAndIsr; everyone needs the topic's new shape.
        var added = new List<(string, int)>(totalCount - current);
        for (int p = current; p < totalCount; p++)
        {
            added.Add((topic, p));
        }

        await SendAsync(added, [topic], cancellationToken).ConfigureAwait(false);
        return (ErrorCode.None, null);
    }

    /// <summary>Deletes topics: marks them under /admin/delete_topics and completes the deletion at once.</summary>
    public Task<IReadOnlyList<(string Topic, Uuid TopicId, ErrorCode Error, string? Message)>> DeleteTopicsAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken) =>
        RunToEndAsync(stopping => DeleteTopicsOnLoopAsync(topics, stopping), cancellationToken);

    private async Task<IReadOnlyList<(string, Uuid, ErrorCode, string?)>> DeleteTopicsOnLoopAsync(IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        var results = new List<(string, Uuid, ErrorCode, string?)>(topics.Count);
        string? storeFailure = null;
        foreach (string topic in topics)
        {
            if (!_isActive)
            {
                results.Add((topic, Uuid.Zero, ErrorCode.NotController, "This broker is not the controller."));
            }
            else if (!_options.DeleteTopicEnable)
            {
                results.Add((topic, Uuid.Zero, ErrorCode.TopicDeletionDisabled, "Topic deletion is disabled."));
            }
            else if (!_topics.TryGetValue(topic, out TopicInfo? info))
            {
                results.Add((topic, Uuid.Zero, ErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition."));
            }
            else if (storeFailure is not null)
            {
                // Not tried on a store that is down: the client's retry asks again.
                results.Add((topic, info.TopicId, ErrorCode.RequestTimedOut, storeFailure));
            }
            else
            {
                try
                {
                    // Sent again after a lost answer: a marker or a deletion already there is as good.
                    await CreatePathAsync(ZkPaths.DeleteTopic(topic), cancellationToken).ConfigureAwait(false);
                    await CompleteDeletionAsync(topic, cancellationToken).ConfigureAwait(false);
                    results.Add((topic, info.TopicId, ErrorCode.None, null));
                }
                catch (CoordinationException e) when (_isActive)
                {
                    // Topics deleted before the failure are answered as deleted (a fenced controller
                    // lets the failure through: NOT_CONTROLLER for all). This one may finish later
                    // from its marker, or not: REQUEST_TIMED_OUT, as StoreFailure answers.
                    storeFailure = StoreFailure.Message(e);
                    results.Add((topic, info.TopicId, ErrorCode.RequestTimedOut, storeFailure));
                }
            }
        }

        return results;
    }

    /// <summary>Picks up delete markers written by anyone (also those left by a controller that died mid-way).</summary>
    private async Task WatchDeletionsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> pending = await _store.GetChildrenAsync(ZkPaths.DeleteTopics, new CallbackWatcher(_ => _loop.Post(() => WatchDeletionsAsync(CancellationToken.None))), cancellationToken).ConfigureAwait(false) ?? [];
        foreach (string topic in pending)
        {
            await CompleteDeletionAsync(topic, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Tells brokers to drop the topic (metadata first, then the replicas' logs), then removes its znodes.</summary>
    private async Task CompleteDeletionAsync(string topic, CancellationToken cancellationToken)
    {
        if (!_isActive)
        {
            return;
        }

        if (_topics.TryGetValue(topic, out TopicInfo? info))
        {
            await SendDeletionAsync(info, cancellationToken).ConfigureAwait(false);
            foreach (int partition in info.Partitions.Keys)
            {
                await DeleteIfExistsAsync(ZkPaths.TopicPartitionState(topic, partition), cancellationToken).ConfigureAwait(false);
                await DeleteIfExistsAsync(ZkPaths.TopicPartition(topic, partition), cancellationToken).ConfigureAwait(false);
                _partitions.Remove((topic, partition));
            }

            await DeleteIfExistsAsync(ZkPaths.TopicPartitions(topic), cancellationToken).ConfigureAwait(false);
            await DeleteIfExistsAsync(ZkPaths.Topic(topic), cancellationToken).ConfigureAwait(false);
            await DeleteIfExistsAsync(ZkPaths.TopicConfig(topic), cancellationToken).ConfigureAwait(false);
            _topics.Remove(topic);
            ForgetOfflineReplicas(topic);
        }

        await DeleteIfExistsAsync(ZkPaths.DeleteTopic(topic), cancellationToken).ConfigureAwait(false);
    }

    private async Task DeleteIfExistsAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            // Sent again after a lost answer: NoNode then may be the first attempt's deletion.
            await ConnectionLoss.ResendAsync(() => _store.DeleteAsync(path, -1, cancellationToken).AsTask()).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.NoNode)
        {
        }
    }

    /// <summary>Writes only while our controller epoch is current: a deposed controller's writes fail.</summary>
    /// <returns>The results of the operations, after the epoch check's.</returns>
    private async Task<IReadOnlyList<CoordinationOpResult>> WriteFencedAsync(IReadOnlyList<CoordinationOp> operations, CancellationToken cancellationToken)
    {
        var fenced = new List<CoordinationOp>(operations.Count + 1) { CoordinationOp.Check(ZkPaths.ControllerEpoch, _epochZkVersion) };
        fenced.AddRange(operations);
        try
        {
            return await _store.MultiAsync(fenced, cancellationToken).ConfigureAwait(false);
        }
        catch (CoordinationException e) when (e.Error == CoordinationError.BadVersion && e.FailedOperationIndex == 0)
        {
            Resign();
            throw new CoordinationException(CoordinationError.BadVersion, "Controller epoch moved on: this broker is no longer the controller.", e);
        }
        catch (CoordinationException e) when (e.FailedOperationIndex > 0)
        {
            // Report the failing operation's own error, as a single write would.
            throw new CoordinationException(e.Error, e.Message, e.Path, e.FailedOperationIndex - 1, e);
        }
    }

    private bool ExceedsPartitionsPerRequest(IReadOnlyList<TopicCreation> topics)
    {
        long total = 0;
        foreach (TopicCreation topic in topics)
        {
            total += topic.Assignment is { Count: > 0 } given ? given.Count
                : topic.NumPartitions == -1 ? _options.DefaultNumPartitions
                : Math.Max(topic.NumPartitions, 0);
        }

        return total > MaxPartitionsPerRequest;
    }
}
