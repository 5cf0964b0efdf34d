using Samsa.Broker.ZNodes;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Controller;

/// <summary>
/// AlterPartition (KIP-497, ZooKeeper mode as in Kafka 3.x): a partition leader proposes a new ISR
/// with the leader epoch and partition epoch (state znode version) it last saw. The controller
/// checks both, writes the state with compare-and-set and answers with the new partition epoch;
/// other brokers learn the ISR through UpdateMetadata (leadership did not change, so no
/// LeaderAndIsr).
/// </summary>
internal sealed partial class KafkaController
{
    public Task<AlterPartitionResponseData> AlterPartitionAsync(AlterPartitionRequestData request, CancellationToken cancellationToken) =>
        RunToEndAsync(stopping => AlterPartitionOnLoopAsync(request, stopping), cancellationToken);

    private async Task<AlterPartitionResponseData> AlterPartitionOnLoopAsync(AlterPartitionRequestData request, CancellationToken cancellationToken)
    {
        var response = new AlterPartitionResponseData();
        if (!_isActive)
        {
            response.ErrorCode = (short)ErrorCode.NotController;
            return response;
        }

        // -1: the leader did not say; otherwise it must be the registration we know (a restarted broker's old requests are stale).
        if (!_liveBrokers.TryGetValue(request.BrokerId, out BrokerRegistration? sender)
            || (request.BrokerEpoch != -1 && request.BrokerEpoch != sender.BrokerEpoch))
        {
            response.ErrorCode = (short)ErrorCode.StaleBrokerEpoch;
            return response;
        }

        var changedTopics = new HashSet<string>(StringComparer.Ordinal);
        foreach (AlterPartitionRequestData.TopicData topic in request.Topics)
        {
            TopicInfo? info = ResolveTopic(topic.TopicName, topic.TopicId);
            var topicResult = new AlterPartitionResponseData.TopicData { TopicName = info?.Name ?? topic.TopicName, TopicId = info?.TopicId ?? topic.TopicId };
            response.Topics.Add(topicResult);
            foreach (AlterPartitionRequestData.PartitionData partition in topic.Partitions)
            {
                var result = new AlterPartitionResponseData.PartitionData { PartitionIndex = partition.PartitionIndex };
                topicResult.Partitions.Add(result);
                ErrorCode error = info is null
                    ? (topic.TopicId.IsZero ? ErrorCode.UnknownTopicOrPartition : ErrorCode.UnknownTopicId)
                    : await AlterOneAsync(info, request.BrokerId, partition, cancellationToken).ConfigureAwait(false);
                result.ErrorCode = (short)error;
                if (error == ErrorCode.None && _partitions.TryGetValue((info!.Name, partition.PartitionIndex), out PartitionLeadership? now))
                {
                    result.LeaderId = now.State.Leader;
                    result.LeaderEpoch = now.State.LeaderEpoch;
                    result.Isr = [.. now.State.Isr];
                    result.PartitionEpoch = now.ZkVersion;
                    changedTopics.Add(info.Name);
                }
            }
        }

        if (changedTopics.Count > 0)
        {
            await SendAsync([], changedTopics, cancellationToken).ConfigureAwait(false);
        }

        return response;
    }

    private TopicInfo? ResolveTopic(string name, Uuid topicId)
    {
        if (!topicId.IsZero)
        {
            foreach (TopicInfo topic in _topics.Values)
            {
                if (topic.TopicId == topicId)
                {
                    return topic;
                }
            }

            return null;
        }

        return _topics.GetValueOrDefault(name);
    }

    /// <summary>Kafka's checks, in its order: newer epochs than ours mean we are not the controller any more.</summary>
    private async Task<ErrorCode> AlterOneAsync(TopicInfo topic, int leaderId, AlterPartitionRequestData.PartitionData proposal, CancellationToken cancellationToken)
    {
        if (!topic.Partitions.TryGetValue(proposal.PartitionIndex, out int[]? replicas)
            || !_partitions.TryGetValue((topic.Name, proposal.PartitionIndex), out PartitionLeadership? current))
        {
            return ErrorCode.UnknownTopicOrPartition;
        }

        PartitionStateZNode state = current.State;
        if (proposal.PartitionEpoch > current.ZkVersion || proposal.LeaderEpoch > state.LeaderEpoch)
        {
            return ErrorCode.NotController;
        }

        if (proposal.LeaderEpoch < state.LeaderEpoch)
        {
            return ErrorCode.FencedLeaderEpoch;
        }

        // A leader whose replica is known offline is being replaced (its election may have failed
        // and be retrying): it may not shape the ISR meanwhile. Kafka's ZooKeeper-mode controller has
        // no such check (its re-election bumps the leader epoch first, fencing the proposal with
        // FENCED_LEADER_EPOCH); we answer as for any proposer that is not the valid leader,
        // NOT_LEADER_OR_FOLLOWER, which a Kafka leader retries until LeaderAndIsr or StopReplica settles it.
        if (state.Leader != leaderId || IsOnOfflineLog(leaderId, topic.Name, proposal.PartitionIndex))
        {
            return ErrorCode.NotLeaderOrFollower;
        }

        List<int> isr = ProposedIsr(proposal);
        if (SameSet(isr, state.Isr))
        {
            // Already so (a retry whose first answer was lost): answer with the current state.
            return ErrorCode.None;
        }

        if (proposal.PartitionEpoch < current.ZkVersion)
        {
            return ErrorCode.InvalidUpdateVersion;
        }

        if (!isr.Contains(leaderId))
        {
            return ErrorCode.InvalidRequest;
        }

        foreach (AlterPartitionRequestData.BrokerState member in proposal.NewIsrWithEpochs)
        {
            // KIP-903: a member that restarted since the leader saw it has lost its unflushed tail.
            if (member.BrokerEpoch != -1 && _liveBrokers.TryGetValue(member.BrokerId, out BrokerRegistration? registration) && registration.BrokerEpoch != member.BrokerEpoch)
            {
                return ErrorCode.IneligibleReplica;
            }
        }

        foreach (int member in isr)
        {
            // Only assigned, registered brokers that are not shutting down may join (KIP-841).
            if (Array.IndexOf(replicas, member) < 0 || (member != leaderId && Array.IndexOf(state.Isr, member) < 0 && !IsReplicaOnline(member, topic.Name, proposal.PartitionIndex)))
            {
                return ErrorCode.IneligibleReplica;
            }
        }

        var next = new PartitionStateZNode(_epoch, state.Leader, state.LeaderEpoch, [.. isr]);
        return await WritePartitionStateAsync(topic.Name, proposal.PartitionIndex, next, cancellationToken).ConfigureAwait(false)
            ? ErrorCode.None
            : ErrorCode.InvalidUpdateVersion;
    }

    private static List<int> ProposedIsr(AlterPartitionRequestData.PartitionData proposal)
    {
        if (proposal.NewIsrWithEpochs.Count > 0)
        {
            var isr = new List<int>(proposal.NewIsrWithEpochs.Count);
            foreach (AlterPartitionRequestData.BrokerState member in proposal.NewIsrWithEpochs)
            {
                isr.Add(member.BrokerId);
            }

            return isr;
        }

        return [.. proposal.NewIsr];
    }

    private static bool SameSet(List<int> a, int[] b)
    {
        if (a.Count != b.Length)
        {
            return false;
        }

        foreach (int x in b)
        {
            if (!a.Contains(x))
            {
                return false;
            }
        }

        return true;
    }
}
