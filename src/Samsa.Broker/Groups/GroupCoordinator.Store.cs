using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;

namespace Samsa.Broker.Groups;

/// <summary>Writing group records to __consumer_offsets and waiting until they are replicated.</summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>
    /// Appends key/value records (null value = tombstone) as one batch to the leader log of
    /// offsets partition <paramref name="partitionIndex"/> with acks=all semantics. Under the lock,
    /// so records land in the order the coordinator decided them.
    /// </summary>
    private GroupWrite AppendLocked(int partitionIndex, List<(byte[] Key, byte[]? Value)> records)
    {
        if (records.Count == 0)
        {
            return GroupWrite.Done;
        }

        Partition? partition = _partitions.Get(OffsetsTopic.Name, partitionIndex);
        if (partition is null)
        {
            return new GroupWrite(ErrorCode.NotLeaderOrFollower, null, 0);
        }

        long now = NowMs;
        byte[] batch;
        using (var buffer = new PooledBufferWriter())
        {
            using (var builder = new RecordBatchBuilder(buffer, CompressionType.None, 0))
            {
                foreach ((byte[] key, byte[]? value) in records)
                {
                    builder.Append(now, key, value);
                }

                builder.Complete();
            }

            batch = buffer.ToArray();
        }

        (ErrorCode error, LogAppendInfo info) = partition.AppendAsLeader(batch, -1, _options.MinInsyncReplicas);
        return error == ErrorCode.None
            ? new GroupWrite(ErrorCode.None, partition, info.LastOffset + 1)
            : new GroupWrite(error, partition, 0);
    }

    /// <summary>Waits (outside the lock) until the write is below the high watermark, up to offsets.commit.timeout.ms.</summary>
    private async Task<ErrorCode> WaitForWriteAsync(GroupWrite write)
    {
        if (write.Error != ErrorCode.None || write.Partition is not Partition partition)
        {
            return write.Error;
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.OffsetsCommitTimeoutMs), _time);
        while (partition.HighWatermark < write.RequiredHighWatermark)
        {
            Task changed = partition.WaitForHighWatermarkChangeAsync();
            if (partition.HighWatermark >= write.RequiredHighWatermark)
            {
                break;
            }

            if (!partition.IsLeader)
            {
                return ErrorCode.NotLeaderOrFollower;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return ErrorCode.RequestTimedOut;
            }
        }

        return ErrorCode.None;
    }

    /// <summary>Kafka's mapping of a failed group-metadata write to the error JoinGroup/SyncGroup answer.</summary>
    private static ErrorCode GroupStoreError(ErrorCode error) =>
        StoreError(error, onTimeout: ErrorCode.RebalanceInProgress, onTooLarge: ErrorCode.UnknownServerError);

    /// <summary>Kafka's mapping of a failed offset-commit write to the per-partition error.</summary>
    private static ErrorCode OffsetStoreError(ErrorCode error) =>
        StoreError(error, onTimeout: ErrorCode.RequestTimedOut, onTooLarge: ErrorCode.InvalidCommitOffsetSize);

    /// <summary>Kafka's mapping of a failed write to the error a consumer-group request answers.</summary>
    private static ErrorCode ConsumerStoreError(ErrorCode error) =>
        StoreError(error, onTimeout: ErrorCode.CoordinatorNotAvailable, onTooLarge: ErrorCode.UnknownServerError);

    /// <summary>
    /// The shared part of those mappings: a missing or under-replicated offsets partition means
    /// the coordinator is not available, a lost leadership means it moved; the requests differ
    /// only in what a timed-out or oversized write becomes.
    /// </summary>
    private static ErrorCode StoreError(ErrorCode error, ErrorCode onTimeout, ErrorCode onTooLarge) => error switch
    {
        ErrorCode.None => ErrorCode.None,
        ErrorCode.UnknownTopicOrPartition or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend => ErrorCode.CoordinatorNotAvailable,
        ErrorCode.NotLeaderOrFollower or ErrorCode.KafkaStorageError => ErrorCode.NotCoordinator,
        ErrorCode.RequestTimedOut => onTimeout,
        ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge or ErrorCode.InvalidFetchSize => onTooLarge,
        _ => error,
    };
}
