using Samsa.Broker.Groups;
using Samsa.Broker.Metadata;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Handlers;

/// <summary>
/// OffsetDelete (47): deletes a group's committed offsets of some partitions; unknown topics get
/// UNKNOWN_TOPIC_OR_PARTITION, topics the group's members subscribe to GROUP_SUBSCRIBED_TO_TOPIC.
/// </summary>
internal sealed class OffsetDeleteHandler(GroupCoordinator coordinator, MetadataCache metadata) : RequestHandler<OffsetDeleteRequestData, OffsetDeleteResponseData>
{
    public override ApiKey ApiKey => ApiKey.OffsetDelete;

    public override short MinVersion => 0;

    public override short MaxVersion => 0;

    protected override async ValueTask<OffsetDeleteResponseData?> HandleAsync(RequestContext context, OffsetDeleteRequestData request, CancellationToken cancellationToken)
    {
        MetadataCache.Snapshot snapshot = metadata.Current;
        var known = new List<TopicPartition>();
        var results = new List<(TopicPartition Partition, ErrorCode Error)>();
        foreach (OffsetDeleteRequestData.OffsetDeleteRequestTopic topic in request.Topics)
        {
            foreach (OffsetDeleteRequestData.OffsetDeleteRequestPartition partition in topic.Partitions)
            {
                var tp = new TopicPartition(topic.Name, partition.PartitionIndex);
                if (snapshot.Topic(topic.Name) is null)
                {
                    results.Add((tp, ErrorCode.UnknownTopicOrPartition));
                }
                else
                {
                    known.Add(tp);
                }
            }
        }

        (ErrorCode error, List<(TopicPartition Partition, ErrorCode Error)> deleted) = await coordinator.DeleteOffsetsAsync(request.GroupId, known).ConfigureAwait(false);
        results.AddRange(deleted);
        var response = new OffsetDeleteResponseData { ErrorCode = (short)error };
        var topics = new Dictionary<string, OffsetDeleteResponseData.OffsetDeleteResponseTopic>(StringComparer.Ordinal);
        foreach ((TopicPartition tp, ErrorCode partitionError) in results)
        {
            if (!topics.TryGetValue(tp.Topic, out OffsetDeleteResponseData.OffsetDeleteResponseTopic? topic))
            {
                topic = new OffsetDeleteResponseData.OffsetDeleteResponseTopic { Name = tp.Topic };
                topics.Add(tp.Topic, topic);
                response.Topics.Add(topic);
            }

            topic.Partitions.Add(new OffsetDeleteResponseData.OffsetDeleteResponsePartition { PartitionIndex = tp.Partition, ErrorCode = (short)partitionError });
        }

        return response;
    }
}
