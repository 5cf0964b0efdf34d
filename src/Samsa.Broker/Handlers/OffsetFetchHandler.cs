using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Handlers;

/// <summary>
/// OffsetFetch (9): committed offsets of one group (v1-7) or several (v8+); null topics means every
/// committed partition. A partition without a commit answers offset -1 and empty metadata.
/// </summary>
internal sealed class OffsetFetchHandler(GroupCoordinator coordinator) : RequestHandler<OffsetFetchRequestData, OffsetFetchResponseData>
{
    public override ApiKey ApiKey => ApiKey.OffsetFetch;

    public override short MinVersion => 1;

    public override short MaxVersion => 9;

    protected override ValueTask<OffsetFetchResponseData?> HandleAsync(RequestContext context, OffsetFetchRequestData request, CancellationToken cancellationToken)
    {
        var response = new OffsetFetchResponseData();
        if (context.ApiVersion >= 8)
        {
            foreach (OffsetFetchRequestData.OffsetFetchRequestGroup group in request.Groups)
            {
                List<TopicPartition>? wanted = null;
                if (group.Topics is not null)
                {
                    wanted = [];
                    foreach (OffsetFetchRequestData.OffsetFetchRequestTopics topic in group.Topics)
                    {
                        AddPartitions(wanted, topic.Name, topic.PartitionIndexes);
                    }
                }

                (ErrorCode error, List<(TopicPartition Partition, CommittedOffset? Offset)> offsets) = coordinator.FetchOffsets(group.GroupId, wanted, group.MemberId, group.MemberEpoch);
                var groupResult = new OffsetFetchResponseData.OffsetFetchResponseGroup { GroupId = group.GroupId, ErrorCode = (short)error };
                var byTopic = new Dictionary<string, OffsetFetchResponseData.OffsetFetchResponseTopics>(StringComparer.Ordinal);
                foreach ((TopicPartition tp, CommittedOffset? offset) in offsets)
                {
                    if (!byTopic.TryGetValue(tp.Topic, out OffsetFetchResponseData.OffsetFetchResponseTopics? topic))
                    {
                        topic = new OffsetFetchResponseData.OffsetFetchResponseTopics { Name = tp.Topic };
                        byTopic.Add(tp.Topic, topic);
                        groupResult.Topics.Add(topic);
                    }

                    topic.Partitions.Add(new OffsetFetchResponseData.OffsetFetchResponsePartitions
                    {
                        PartitionIndex = tp.Partition,
                        CommittedOffset = offset?.Offset ?? -1,
                        CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
                        Metadata = offset?.Metadata ?? string.Empty,
                    });
                }

                response.Groups.Add(groupResult);
            }

            return new(response);
        }

        List<TopicPartition>? partitions = null;
        if (request.Topics is not null)
        {
            partitions = [];
            foreach (OffsetFetchRequestData.OffsetFetchRequestTopic topic in request.Topics)
            {
                AddPartitions(partitions, topic.Name, topic.PartitionIndexes);
            }
        }

        (ErrorCode groupError, List<(TopicPartition Partition, CommittedOffset? Offset)> committed) = coordinator.FetchOffsets(request.GroupId, partitions);
        if (groupError != ErrorCode.None && partitions is not null && context.ApiVersion < 2)
        {
            // v1 has no group-level error: every requested partition carries it.
            committed.Clear();
            foreach (TopicPartition tp in partitions)
            {
                committed.Add((tp, null));
            }
        }

        response.ErrorCode = (short)groupError;
        var topics = new Dictionary<string, OffsetFetchResponseData.OffsetFetchResponseTopic>(StringComparer.Ordinal);
        foreach ((TopicPartition tp, CommittedOffset? offset) in committed)
        {
            if (!topics.TryGetValue(tp.Topic, out OffsetFetchResponseData.OffsetFetchResponseTopic? topic))
            {
                topic = new OffsetFetchResponseData.OffsetFetchResponseTopic { Name = tp.Topic };
                topics.Add(tp.Topic, topic);
                response.Topics.Add(topic);
            }

            topic.Partitions.Add(new OffsetFetchResponseData.OffsetFetchResponsePartition
            {
                PartitionIndex = tp.Partition,
                CommittedOffset = offset?.Offset ?? -1,
                CommittedLeaderEpoch = offset?.LeaderEpoch ?? -1,
                Metadata = offset?.Metadata ?? string.Empty,
                ErrorCode = context.ApiVersion < 2 ? (short)groupError : (short)ErrorCode.None,
            });
        }

        return new(response);
    }

    /// <summary>The request's (topic, partitions) in the coordinator's flat form; v8+ and v1-7 nest them differently.</summary>
    private static void AddPartitions(List<TopicPartition> into, string topic, List<int> partitions)
    {
        foreach (int partition in partitions)
        {
            into.Add(new TopicPartition(topic, partition));
        }
    }
}
