using Samsa.Broker.Metadata;
using Samsa.Broker.ZNodes;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>Building and sending the control requests that carry the controller's decisions to brokers.</summary>
internal sealed partial class KafkaController
{
    // Versions of the inter-broker requests our controller sends: the newest that carry topic ids.
    internal const short LeaderAndIsrVersion = 6;
    // UpdateMetadata v8 adds Type (KIP-866): a broker may treat a FULL request as the whole cluster and
    // drop logs of topics missing from it.
    internal const short UpdateMetadataVersion = 8;

    /// <summary>UpdateMetadata's Type: the request lists only some topics.</summary>
    internal const sbyte UpdateMetadataIncremental = 1;

    /// <summary>UpdateMetadata's Type: the request lists every topic of the cluster.</summary>
    internal const sbyte UpdateMetadataFull = 2;
    internal const short StopReplicaVersion = 3;

    /// <summary>StopReplica's leader epoch meaning "the partition is being deleted: skip the epoch check".</summary>
    private const int EpochDuringDelete = -2;

    /// <summary>Every broker learns every partition: after an election, on failover, when brokers come or go.</summary>
    private Task SendEverythingAsync(CancellationToken cancellationToken) =>
        SendAsync(AllPartitions(), [.. _topics.Keys], cancellationToken, [.. _liveBrokers.Keys]);

    /// <summary>LeaderAndIsr for every partition of the topics to its replicas, then UpdateMetadata to every live broker.</summary>
    private Task SendTopicsAsync(IReadOnlyCollection<string> topics, CancellationToken cancellationToken)
    {
        var partitions = new List<(string, int)>();
        foreach (string name in topics)
        {
            if (_topics.TryGetValue(name, out TopicInfo? topic))
            {
                foreach (int partition in topic.Partitions.Keys)
                {
                    partitions.Add((name, partition));
                }
            }
        }

        return SendAsync(partitions, topics, cancellationToken);
    }

    /// <summary>
    /// LeaderAndIsr for <paramref name="leaderAndIsr"/> to each live replica (plus, for the brokers in
    /// <paramref name="fullTo"/>, every partition they host: a broker that just started knows
    /// nothing), then UpdateMetadata for <paramref name="metadataTopics"/> to every live broker.
    /// Followers learn their leader before clients are pointed at it; brokers in
    /// <paramref name="fullTo"/> first get the whole metadata (as Kafka does for a starting broker),
    /// so they know every leader's endpoint before they are told to follow it.
    /// </summary>
    private async Task SendAsync(IReadOnlyCollection<(string Topic, int Partition)> leaderAndIsr, IReadOnlyCollection<string> metadataTopics, CancellationToken cancellationToken, IReadOnlyCollection<int>? fullTo = null)
    {
        List<(string, int)>? all = fullTo is { Count: > 0 } ? AllPartitions() : null;
        if (all is not null)
        {
            List<string> allTopics = [.. _topics.Keys];
            foreach (int id in fullTo!)
            {
                if (_liveBrokers.TryGetValue(id, out BrokerRegistration? broker))
                {
                    await _channel.SendUpdateMetadataAsync(id, BuildUpdateMetadata(broker, allTopics, deleting: false, full: true), cancellationToken).ConfigureAwait(false);
                }
            }
        }

        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            IReadOnlyCollection<(string, int)> partitions = all is not null && fullTo!.Contains(broker.BrokerId) ? all : leaderAndIsr;
            LeaderAndIsrRequestData? request = BuildLeaderAndIsr(broker, partitions);
            if (request is not null)
            {
                await _channel.SendLeaderAndIsrAsync(broker.BrokerId, request, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            await _channel.SendUpdateMetadataAsync(broker.BrokerId, BuildUpdateMetadata(broker, metadataTopics, deleting: false, full: false), cancellationToken).ConfigureAwait(false);
        }
    }

    private List<(string Topic, int Partition)> AllPartitions()
    {
        var all = new List<(string, int)>(_partitions.Count);
        foreach (TopicInfo topic in _topics.Values)
        {
            foreach (int partition in topic.Partitions.Keys)
            {
                all.Add((topic.Name, partition));
            }
        }

        return all;
    }

    private async Task SendDeletionAsync(TopicInfo topic, CancellationToken cancellationToken)
    {
        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            await _channel.SendUpdateMetadataAsync(broker.BrokerId, BuildUpdateMetadata(broker, [topic.Name], deleting: true, full: false), cancellationToken).ConfigureAwait(false);
        }

        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            var state = new StopReplicaRequestData.StopReplicaTopicState { TopicName = topic.Name };
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                if (Array.IndexOf(replicas, broker.BrokerId) >= 0)
                {
                    state.PartitionStates.Add(new StopReplicaRequestData.StopReplicaPartitionState { PartitionIndex = partition, LeaderEpoch = EpochDuringDelete, DeletePartition = true });
                }
            }

            if (state.PartitionStates.Count > 0)
            {
                var request = new StopReplicaRequestData { ControllerId = _brokerId, ControllerEpoch = _epoch, BrokerEpoch = broker.BrokerEpoch, TopicStates = [state] };
                await _channel.SendStopReplicaAsync(broker.BrokerId, request, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>StopReplica without deletion: the broker stops serving (and fetching) these partitions but keeps their logs.</summary>
    private async Task SendStopReplicaAsync(int brokerId, IReadOnlyCollection<(string Topic, int Partition)> partitions, CancellationToken cancellationToken)
    {
        if (partitions.Count == 0 || !_liveBrokers.TryGetValue(brokerId, out BrokerRegistration? broker))
        {
            return;
        }

        var request = new StopReplicaRequestData { ControllerId = _brokerId, ControllerEpoch = _epoch, BrokerEpoch = broker.BrokerEpoch };
        var byTopic = new Dictionary<string, StopReplicaRequestData.StopReplicaTopicState>(StringComparer.Ordinal);
        foreach ((string topic, int partition) in partitions)
        {
            if (!byTopic.TryGetValue(topic, out StopReplicaRequestData.StopReplicaTopicState? state))
            {
                state = new StopReplicaRequestData.StopReplicaTopicState { TopicName = topic };
                byTopic[topic] = state;
                request.TopicStates.Add(state);
            }

            int leaderEpoch = _partitions.TryGetValue((topic, partition), out PartitionLeadership? leadership) ? leadership.State.LeaderEpoch : -1;
            state.PartitionStates.Add(new StopReplicaRequestData.StopReplicaPartitionState { PartitionIndex = partition, LeaderEpoch = leaderEpoch, DeletePartition = false });
        }

        await _channel.SendStopReplicaAsync(brokerId, request, cancellationToken).ConfigureAwait(false);
    }

    private LeaderAndIsrRequestData? BuildLeaderAndIsr(BrokerRegistration broker, IReadOnlyCollection<(string Topic, int Partition)> partitions)
    {
        var request = new LeaderAndIsrRequestData { ControllerId = _brokerId, ControllerEpoch = _epoch, BrokerEpoch = broker.BrokerEpoch };
        var byTopic = new Dictionary<string, LeaderAndIsrRequestData.LeaderAndIsrTopicState>(StringComparer.Ordinal);
        var leaders = new HashSet<int>();
        foreach ((string name, int partition) in partitions)
        {
            if (!_topics.TryGetValue(name, out TopicInfo? topic)
                || !topic.Partitions.TryGetValue(partition, out int[]? replicas)
                || Array.IndexOf(replicas, broker.BrokerId) < 0
                || !_partitions.TryGetValue((name, partition), out PartitionLeadership? leadership))
            {
                continue;
            }

            if (!byTopic.TryGetValue(name, out LeaderAndIsrRequestData.LeaderAndIsrTopicState? topicState))
            {
                topicState = new LeaderAndIsrRequestData.LeaderAndIsrTopicState { TopicName = name, TopicId = topic.TopicId };
                byTopic[name] = topicState;
                request.TopicStates.Add(topicState);
            }

            topicState.PartitionStates.Add(new LeaderAndIsrRequestData.LeaderAndIsrPartitionState
            {
                TopicName = name,
                PartitionIndex = partition,
                ControllerEpoch = leadership.State.ControllerEpoch,
                Leader = leadership.State.Leader,
                LeaderEpoch = leadership.State.LeaderEpoch,
                Isr = [.. leadership.State.Isr],
                PartitionEpoch = leadership.ZkVersion,
                Replicas = [.. replicas],
            });
            leaders.Add(leadership.State.Leader);
        }

        if (request.TopicStates.Count == 0)
        {
            return null;
        }

        foreach (int leader in leaders)
        {
            if (_liveBrokers.TryGetValue(leader, out BrokerRegistration? registration) && InterBrokerEndpoint(registration) is (string host, int port))
            {
                request.LiveLeaders.Add(new LeaderAndIsrRequestData.LeaderAndIsrLiveLeader { BrokerId = leader, HostName = host, Port = port });
            }
        }

        return request;
    }

    private (string Host, int Port)? InterBrokerEndpoint(BrokerRegistration broker)
    {
        foreach ((string listener, string host, int port) in broker.Endpoints)
        {
            if (string.Equals(listener, _options.InterBrokerListenerName, StringComparison.Ordinal))
            {
                return (host, port);
            }
        }

        return broker.Endpoints.Count > 0 ? (broker.Endpoints[0].Host, broker.Endpoints[0].Port) : null;
    }

    private UpdateMetadataRequestData BuildUpdateMetadata(BrokerRegistration target, IReadOnlyCollection<string> topics, bool deleting, bool full)
    {
        var request = new UpdateMetadataRequestData
        {
            ControllerId = _brokerId,
            ControllerEpoch = _epoch,
            BrokerEpoch = target.BrokerEpoch,
            Type = full ? UpdateMetadataFull : UpdateMetadataIncremental,
        };
        foreach (string name in topics)
        {
            if (!_topics.TryGetValue(name, out TopicInfo? topic))
            {
                continue;
            }

            var topicState = new UpdateMetadataRequestData.UpdateMetadataTopicState { TopicName = name, TopicId = topic.TopicId };
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                _partitions.TryGetValue((name, partition), out PartitionLeadership? leadership);
                var offline = new List<int>();
                foreach (int replica in replicas)
                {
                    if (!_liveBrokers.ContainsKey(replica) || IsOnOfflineLog(replica, name, partition))
                    {
                        offline.Add(replica);
                    }
                }

                topicState.PartitionStates.Add(new UpdateMetadataRequestData.UpdateMetadataPartitionState
                {
                    TopicName = name,
                    PartitionIndex = partition,
                    ControllerEpoch = leadership?.State.ControllerEpoch ?? _epoch,
                    Leader = deleting ? MetadataCache.LeaderDuringDelete : leadership?.State.Leader ?? PartitionStateZNode.NoLeader,
                    LeaderEpoch = leadership?.State.LeaderEpoch ?? 0,
                    Isr = leadership is null ? [] : [.. leadership.State.Isr],
                    ZkVersion = leadership?.ZkVersion ?? 0,
                    Replicas = [.. replicas],
                    OfflineReplicas = offline,
                });
            }

            request.TopicStates.Add(topicState);
        }

        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            var live = new UpdateMetadataRequestData.UpdateMetadataBroker { Id = broker.BrokerId, Rack = broker.Rack };
            foreach ((string listener, string host, int port) in broker.Endpoints)
            {
                live.Endpoints.Add(new UpdateMetadataRequestData.UpdateMetadataEndpoint { Listener = listener, Host = host, Port = port, SecurityProtocol = 0 });
            }

            request.LiveBrokers.Add(live);
        }

        return request;
    }
}
