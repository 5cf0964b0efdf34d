using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// ListOffsets (2): the earliest offset, the latest (the high watermark, what a consumer can
/// read), the offset of the largest timestamp, or the first offset at or after a timestamp.
/// </summary>
internal sealed class ListOffsetsHandler(LocalPartitions partitions, MetadataCache metadata) : RequestHandler<ListOffsetsRequestData, ListOffsetsResponseData>
{
    private const long Latest = -1;
    private const long Earliest = -2;
    private const long MaxTimestamp = -3;
    private const long EarliestLocal = -4;
    private const long EarliestPending = -5;

    public override ApiKey ApiKey => ApiKey.ListOffsets;

    public override short MinVersion => 1;

    public override short MaxVersion => 8;

    protected override ValueTask<ListOffsetsResponseData?> HandleAsync(RequestContext context, ListOffsetsRequestData request, CancellationToken cancellationToken)
    {
        var response = new ListOffsetsResponseData();
        MetadataCache.Snapshot snapshot = metadata.Current;
        foreach (ListOffsetsRequestData.ListOffsetsTopic topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponseData.ListOffsetsTopicResponse { Name = topic.Name };
            response.Topics.Add(topicResponse);
            foreach (ListOffsetsRequestData.ListOffsetsPartition p in topic.Partitions)
            {
                var result = new ListOffsetsResponseData.ListOffsetsPartitionResponse { PartitionIndex = p.PartitionIndex };
                topicResponse.Partitions.Add(result);
                Partition? partition = partitions.Get(topic.Name, p.PartitionIndex);
                if (partition is null || !partition.IsLeader)
                {
                    result.ErrorCode = (short)(snapshot.Partition(topic.Name, p.PartitionIndex) is null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.NotLeaderOrFollower);
                    continue;
                }

                ErrorCode epochError = partition.CheckLeaderEpoch(p.CurrentLeaderEpoch);
                if (epochError != ErrorCode.None)
                {
                    result.ErrorCode = (short)epochError;
                    continue;
                }

                result.LeaderEpoch = partition.LeaderEpoch;
                switch (p.Timestamp)
                {
                    case Earliest or EarliestLocal or EarliestPending:
                        result.Offset = partition.LogStartOffset;
                        break;
                    case Latest:
                        result.Offset = partition.HighWatermark;
                        break;
                    case MaxTimestamp:
                        (long Offset, long Timestamp)? max = partition.Log.MaxTimestampOffset();
                        if (max is { } found && found.Offset < partition.HighWatermark)
                        {
                            result.Offset = found.Offset;
                            result.Timestamp = found.Timestamp;
                        }

                        break;
                    default:
                        long? offset = partition.Log.FindOffsetByTimestamp(p.Timestamp);
                        if (offset is long at && at < partition.HighWatermark)
                        {
                            result.Offset = at;
                            result.Timestamp = p.Timestamp;
                        }

                        break;
                }
            }
        }

        return new ValueTask<ListOffsetsResponseData?>(response);
    }
}
