using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage.Checkpoints;

namespace Samsa.Broker.Handlers;

/// <summary>
/// OffsetForLeaderEpoch (23): where a leader epoch ends in the leader's log, from the leader epoch
/// cache. Followers use it to find their divergence point after a leader change, consumers to
/// detect truncation. As in Kafka, the latest epoch ends at the log end offset for every caller
/// (consumers included), the current leader epoch is checked first, and only the leader answers.
/// </summary>
internal sealed class OffsetForLeaderEpochHandler(LocalPartitions partitions, MetadataCache metadata) : RequestHandler<OffsetForLeaderEpochRequestData, OffsetForLeaderEpochResponseData>
{
    public override ApiKey ApiKey => ApiKey.OffsetForLeaderEpoch;

    public override short MinVersion => 2;

    public override short MaxVersion => 4;

    protected override ValueTask<OffsetForLeaderEpochResponseData?> HandleAsync(RequestContext context, OffsetForLeaderEpochRequestData request, CancellationToken cancellationToken)
    {
        var response = new OffsetForLeaderEpochResponseData();
        MetadataCache.Snapshot snapshot = metadata.Current;
        foreach (OffsetForLeaderEpochRequestData.OffsetForLeaderTopic topic in request.Topics)
        {
            var topicResult = new OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult { Topic = topic.Topic };
            response.Topics.Add(topicResult);
            foreach (OffsetForLeaderEpochRequestData.OffsetForLeaderPartition p in topic.Partitions)
            {
                var result = new OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult
                {
                    Partition = p.Partition,
                    LeaderEpoch = -1,
                    EndOffset = -1,
                };
                topicResult.Partitions.Add(result);
                Partition? partition = partitions.Get(topic.Topic, p.Partition);
                if (partition is null)
                {
                    result.ErrorCode = (short)snapshot.NotLeaderError(topic.Topic, p.Partition);
                    continue;
                }

                // Kafka checks the caller's view of the leader epoch before leadership itself.
                ErrorCode error = partition.CheckLeaderEpoch(p.CurrentLeaderEpoch);
                if (error == ErrorCode.None && !partition.IsLeader)
                {
                    error = ErrorCode.NotLeaderOrFollower;
                }

                if (error != ErrorCode.None)
                {
                    result.ErrorCode = (short)error;
                    continue;
                }

                (int epoch, long endOffset) = partition.Log.LeaderEpochCache.EndOffsetFor(p.LeaderEpoch, partition.LogEndOffset);
                if (endOffset != LeaderEpochCache.UndefinedEpochOffset)
                {
                    result.LeaderEpoch = epoch;
                    result.EndOffset = endOffset;
                }
            }
        }

        return new ValueTask<OffsetForLeaderEpochResponseData?>(response);
    }
}
