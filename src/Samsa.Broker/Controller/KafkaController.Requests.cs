using Samsa.Broker.Metadata;
using Samsa.Broker.ZNodes;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>Building and sending the control requests that carry the controller's decisions to brokers.</summary>
internal sealed partial class KafkaController
{
    // Versions of the inter-broker requests our controller sends: the newest that carry topic ids.
    internal const short LeaderAndIsrVersion = 6;
    internal const short UpdateMetadataVersion = 7;
    internal const short StopReplicaVersion = 3;

    /// <summary>StopReplica's leader epoch meaning "the partition is being deleted: skip the epoch check".</summary>
    private const int EpochDuringDelete = -2;

    private Task SendEverythingAsync(CancellationToken cancellationToken) => SendTopicsAsync([.. _topics.Keys], cancellationToken);

    /// <summary>LeaderAndIsr for the topics' partitions to their replicas, then UpdateMetadata to every live broker.</summary>
    private async Task SendTopicsAsync(IReadOnlyCollection<string> topics, CancellationToken cancellationToken)
    {
        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            LeaderAndIsrRequestData? request = BuildLeaderAndIsr(broker, topics);
            if (request is not null)
            {
                await _channel.SendLeaderAndIsrAsync(broker.BrokerId, request, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            await _channel.SendUpdateMetadataAsync(broker.BrokerId, BuildUpdateMetadata(broker, topics, deleting: false), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendDeletionAsync(TopicInfo topic, CancellationToken cancellationToken)
    {
        foreach (BrokerRegistration broker in _liveBrokers.Values)
        {
            await _channel.SendUpdateMetadataAsync(broker.BrokerId, BuildUpdateMetadata(broker, [topic.Name], deleting: true), cancellationToken).ConfigureAwait(false);
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

    private LeaderAndIsrRequestData? BuildLeaderAndIsr(BrokerRegistration broker, IReadOnlyCollection<string> topics)
    {
        var request = new LeaderAndIsrRequestData { ControllerId = _brokerId, ControllerEpoch = _epoch, BrokerEpoch = broker.BrokerEpoch };
        var leaders = new HashSet<int>();
        foreach (string name in topics)
        {
            if (!_topics.TryGetValue(name, out TopicInfo? topic))
            {
                continue;
            }

            var topicState = new LeaderAndIsrRequestData.LeaderAndIsrTopicState { TopicName = name, TopicId = topic.TopicId };
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                if (Array.IndexOf(replicas, broker.BrokerId) < 0 || !_partitions.TryGetValue((name, partition), out PartitionLeadership? leadership))
                {
                    continue;
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

            if (topicState.PartitionStates.Count > 0)
            {
                request.TopicStates.Add(topicState);
            }
        }

        if (request.TopicStates.Count == 0)
        {
            return null;
        }

        foreach (int leader in leaders)
        {
            if (_liveBrokers.TryGetValue(leader, out BrokerRegistration? registration) && registration.Endpoints.Count > 0)
            {
                (_, string host, int port) = registration.Endpoints[0];
                request.LiveLeaders.Add(new LeaderAndIsrRequestData.LeaderAndIsrLiveLeader { BrokerId = leader, HostName = host, Port = port });
            }
        }

        return request;
    }

    private UpdateMetadataRequestData BuildUpdateMetadata(BrokerRegistration target, IReadOnlyCollection<string> topics, bool deleting)
    {
        var request = new UpdateMetadataRequestData { ControllerId = _brokerId, ControllerEpoch = _epoch, BrokerEpoch = target.BrokerEpoch };
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
                    if (!_liveBrokers.ContainsKey(replica))
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
