using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage.Checkpoints;

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
    private const long LatestTiered = -5;
    private const int ConsumerReplicaId = -1;

    public override ApiKey ApiKey => ApiKey.ListOffsets;

    public override short MinVersion => 1;

    // v7 adds MAX_TIMESTAMP (-3), v8 EARLIEST_LOCAL (-4), v9 LATEST_TIERED (-5), v10 TimeoutMs (for
    // remote lookups, which we never wait on). v11's EARLIEST_PENDING_UPLOAD (-6) is Kafka 4.1+.
    public override short MaxVersion => 10;

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
                if (partitions.IsOffline(topic.Name, p.PartitionIndex))
                {
                    result.ErrorCode = (short)ErrorCode.KafkaStorageError; // an offline replica (disk fault), as Kafka answers
                    continue;
                }

                Partition? partition = partitions.Get(topic.Name, p.PartitionIndex);
                if (partition is null || !partition.IsLeader)
                {
                    result.ErrorCode = (short)snapshot.NotLeaderError(topic.Name, p.PartitionIndex);
                    continue;
                }

                ErrorCode epochError = partition.CheckLeaderEpoch(p.CurrentLeaderEpoch);
                if (epochError != ErrorCode.None)
                {
                    result.ErrorCode = (short)epochError;
                    continue;
                }

                // Replicas and the debug consumer may see the whole log; clients what they can fetch.
                long lastFetchable = request.ReplicaId == ConsumerReplicaId ? partition.HighWatermark : partition.LogEndOffset;
                switch (p.Timestamp)
                {
                    case Earliest or EarliestLocal:
                        // Without tiered storage the local log is the whole log.
                        result.Offset = partition.LogStartOffset;
                        result.LeaderEpoch = EarliestEpoch(partition.Log.LeaderEpochCache, result.Offset);
                        break;
                    case Latest:
                        result.Offset = lastFetchable;
                        result.LeaderEpoch = partition.LeaderEpoch;
                        break;
                    case LatestTiered:
                        // Nothing is ever uploaded to remote storage here: Kafka answers offset -1, epoch -1.
                        break;
                    case MaxTimestamp:
                        if (partition.Log.MaxTimestampOffset() is { } max && max.Offset < lastFetchable)
                        {
                            result.Offset = max.Offset;
                            result.Timestamp = max.Timestamp;
                            result.LeaderEpoch = EpochAt(partition.Log.LeaderEpochCache, max.Offset);
                        }

                        break;
                    default:
                        // The found record's own timestamp, not the one asked for: clients show it as the
                        // message time of OffsetsForTimes.
                        if (partition.Log.FindByTimestamp(p.Timestamp) is { } found && found.Offset < lastFetchable)
                        {
                            result.Offset = found.Offset;
                            result.Timestamp = found.Timestamp;
                            result.LeaderEpoch = EpochAt(partition.Log.LeaderEpochCache, found.Offset);
                        }

                        break;
                }
            }
        }

        return new ValueTask<ListOffsetsResponseData?>(response);
    }

    /// <summary>The epoch of the log start, as Kafka answers EARLIEST: the first cached epoch if it covers the start.</summary>
    private static int EarliestEpoch(LeaderEpochCache cache, long logStartOffset)
    {
        IReadOnlyList<EpochEntry> entries = cache.Entries;
        return entries.Count > 0 && entries[0].StartOffset <= logStartOffset ? entries[0].Epoch : -1;
    }

    /// <summary>The leader epoch that wrote <paramref name="offset"/>: the last entry starting at or before it.</summary>
    private static int EpochAt(LeaderEpochCache cache, long offset)
    {
        IReadOnlyList<EpochEntry> entries = cache.Entries;
        for (int i = entries.Count - 1; i >= 0; i--)
        {
            if (entries[i].StartOffset <= offset)
            {
                return entries[i].Epoch;
            }
        }

        return -1;
    }
}
