using Samsa.Broker.Groups;
using Samsa.Broker.Metadata;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Handlers;

/// <summary>
/// OffsetCommit (8): partitions that do not exist (UNKNOWN_TOPIC_OR_PARTITION) or carry metadata
/// over offset.metadata.max.bytes (OFFSET_METADATA_TOO_LARGE) are answered here; the rest go to
/// the coordinator, which checks generation and member and stores them.
/// </summary>
internal sealed class OffsetCommitHandler(GroupCoordinator coordinator, MetadataCache metadata, TimeProvider time) : RequestHandler<OffsetCommitRequestData, OffsetCommitResponseData>
{
    public override ApiKey ApiKey => ApiKey.OffsetCommit;

    public override short MinVersion => 2;

    public override short MaxVersion => 9;

    protected override async ValueTask<OffsetCommitResponseData?> HandleAsync(RequestContext context, OffsetCommitRequestData request, CancellationToken cancellationToken)
    {
        var response = new OffsetCommitResponseData();
        var valid = new List<(TopicPartition, CommittedOffset)>();
        var validResults = new List<OffsetCommitResponseData.OffsetCommitResponsePartition>();
        long now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // OffsetCommit v2-4 may ask for a retention of its own (stored as an explicit expiry).
        long expireTimestamp = context.ApiVersion <= 4 && request.RetentionTimeMs >= 0 ? now + request.RetentionTimeMs : -1;
        MetadataCache.Snapshot snapshot = metadata.Current;
        int maxMetadata = coordinator.Options.OffsetMetadataMaxBytes;
        foreach (OffsetCommitRequestData.OffsetCommitRequestTopic topic in request.Topics)
        {
            var topicResult = new OffsetCommitResponseData.OffsetCommitResponseTopic { Name = topic.Name };
            response.Topics.Add(topicResult);
            foreach (OffsetCommitRequestData.OffsetCommitRequestPartition partition in topic.Partitions)
            {
                var result = new OffsetCommitResponseData.OffsetCommitResponsePartition { PartitionIndex = partition.PartitionIndex };
                topicResult.Partitions.Add(result);
                string committedMetadata = partition.CommittedMetadata ?? string.Empty;
                if (snapshot.Partition(topic.Name, partition.PartitionIndex) is null)
                {
                    result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
                }
                else if (committedMetadata.Length > maxMetadata)
                {
                    result.ErrorCode = (short)ErrorCode.OffsetMetadataTooLarge;
                }
                else
                {
                    valid.Add((new TopicPartition(topic.Name, partition.PartitionIndex), new CommittedOffset(partition.CommittedOffset, partition.CommittedLeaderEpoch, committedMetadata, now, expireTimestamp)));
                    validResults.Add(result);
                }
            }
        }

        if (valid.Count == 0)
        {
            return response;
        }

        ErrorCode error = await coordinator.CommitOffsetsAsync(request.GroupId, request.GenerationIdOrMemberEpoch, request.MemberId, request.GroupInstanceId, valid, context.ApiVersion).ConfigureAwait(false);
        foreach (OffsetCommitResponseData.OffsetCommitResponsePartition result in validResults)
        {
            result.ErrorCode = (short)error;
        }

        return response;
    }
}
