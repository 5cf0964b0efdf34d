using Samsa.Broker.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// The controller's AlterPartition rules for one test's partitions (leader epoch and partition
/// epoch must match; an accepted change bumps the partition epoch), kept in memory.
/// </summary>
internal sealed class TestController : IAlterPartitionChannel
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, (int LeaderEpoch, int PartitionEpoch, int[] Isr)> _states = [];
    private readonly List<int[]> _accepted = [];

    /// <summary>Every ISR accepted, in order.</summary>
    public IReadOnlyList<int[]> Accepted
    {
        get
        {
            lock (_lock)
            {
                return [.. _accepted];
            }
        }
    }

    public void Set(TopicPartition id, int leaderEpoch, int partitionEpoch, int[] isr)
    {
        lock (_lock)
        {
            _states[id] = (leaderEpoch, partitionEpoch, isr);
        }
    }

    public (int LeaderEpoch, int PartitionEpoch, int[] Isr) Get(TopicPartition id)
    {
        lock (_lock)
        {
            return _states[id];
        }
    }

    public ValueTask<AlterPartitionResponseData> SendAsync(AlterPartitionRequestData request, CancellationToken cancellationToken)
    {
        var response = new AlterPartitionResponseData();
        lock (_lock)
        {
            foreach (AlterPartitionRequestData.TopicData topic in request.Topics)
            {
                var topicResult = new AlterPartitionResponseData.TopicData { TopicName = topic.TopicName, TopicId = topic.TopicId };
                response.Topics.Add(topicResult);
                foreach (AlterPartitionRequestData.PartitionData data in topic.Partitions)
                {
                    var id = new TopicPartition(topic.TopicName, data.PartitionIndex);
                    var result = new AlterPartitionResponseData.PartitionData { PartitionIndex = data.PartitionIndex, LeaderId = request.BrokerId };
                    topicResult.Partitions.Add(result);
                    (int leaderEpoch, int partitionEpoch, int[] isr) = _states[id];
                    if (data.LeaderEpoch != leaderEpoch)
                    {
                        result.ErrorCode = (short)ErrorCode.FencedLeaderEpoch;
                        continue;
                    }

                    if (data.PartitionEpoch != partitionEpoch)
                    {
                        result.ErrorCode = (short)ErrorCode.InvalidUpdateVersion;
                        continue;
                    }

                    isr = [.. data.NewIsr];
                    _states[id] = (leaderEpoch, partitionEpoch + 1, isr);
                    _accepted.Add(isr);
                    result.LeaderEpoch = leaderEpoch;
                    result.PartitionEpoch = partitionEpoch + 1;
                    result.Isr = [.. isr];
                }
            }
        }

        return ValueTask.FromResult(response);
    }
}
