using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Handlers;

/// <summary>
/// DeleteRecords (21): moves a led partition's log start offset forward to the requested offset
/// (-1: the high watermark), so everything before it is no longer readable and whole segments
/// below it go away. Offsets past the high watermark are out of range. Answers each partition's
/// new low watermark (its log start offset). The leader is the only replica here that must move:
/// followers adopt the log start offset from the leader's fetch responses.
/// </summary>
internal sealed class DeleteRecordsHandler(LocalPartitions partitions, MetadataCache metadata) : RequestHandler<DeleteRecordsRequestData, DeleteRecordsResponseData>
{
    /// <summary>DeleteRecordsRequest.HIGH_WATERMARK: "delete everything a consumer could read".</summary>
    private const long HighWatermarkOffset = -1;

    public override ApiKey ApiKey => ApiKey.DeleteRecords;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override ValueTask<DeleteRecordsResponseData?> HandleAsync(RequestContext context, DeleteRecordsRequestData request, CancellationToken cancellationToken)
    {
        var response = new DeleteRecordsResponseData();
        MetadataCache.Snapshot snapshot = metadata.Current;
        foreach (DeleteRecordsRequestData.DeleteRecordsTopic topic in request.Topics)
        {
            var topicResult = new DeleteRecordsResponseData.DeleteRecordsTopicResult { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (DeleteRecordsRequestData.DeleteRecordsPartition p in topic.Partitions)
            {
                var result = new DeleteRecordsResponseData.DeleteRecordsPartitionResult { PartitionIndex = p.PartitionIndex, LowWatermark = -1 };
                topicResult.Partitions.Add(result);
                result.ErrorCode = (short)Delete(snapshot, topic.Name, p, result);
            }
        }

        return new ValueTask<DeleteRecordsResponseData?>(response);
    }

    private ErrorCode Delete(MetadataCache.Snapshot snapshot, string topic, DeleteRecordsRequestData.DeleteRecordsPartition request, DeleteRecordsResponseData.DeleteRecordsPartitionResult result)
    {
        if (IsInternal(topic))
        {
            // Kafka: "Cannot delete records of internal topic"; group and transaction state live there.
            return ErrorCode.InvalidTopicException;
        }

        Partition? partition = partitions.Get(topic, request.PartitionIndex);
        if (partition is null || !partition.IsLeader)
        {
            return snapshot.NotLeaderError(topic, request.PartitionIndex);
        }

        if ((partition.Log.Config.CleanupPolicy & CleanupPolicy.Delete) == 0)
        {
            // A compacted-only topic keeps the latest value of every key; deleting a prefix would break that.
            return ErrorCode.PolicyViolation;
        }

        long highWatermark = partition.HighWatermark;
        long offset = request.Offset == HighWatermarkOffset ? highWatermark : request.Offset;
        if (offset < 0 || offset > highWatermark)
        {
            return ErrorCode.OffsetOutOfRange;
        }

        try
        {
            if (!partition.Log.DeleteRecordsBefore(offset))
            {
                return ErrorCode.OffsetOutOfRange;
            }
        }
        catch (ObjectDisposedException)
        {
            // The log closed under us: the partition was deleted or moved away meanwhile.
            return ErrorCode.NotLeaderOrFollower;
        }
        catch (StorageException)
        {
            return ErrorCode.KafkaStorageError;
        }
        catch (IOException)
        {
            return ErrorCode.KafkaStorageError;
        }

        result.LowWatermark = partition.LogStartOffset;
        return ErrorCode.None;
    }

    private static bool IsInternal(string topic) => topic is "__consumer_offsets" or "__transaction_state";
}
