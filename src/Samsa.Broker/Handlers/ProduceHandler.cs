using System.Runtime.InteropServices;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Produce (0): checks each partition's batches against the topic's policy, recompresses them when
/// the topic's compression.type asks for another codec, appends them to the leader's log in
/// request order (on the connection's receive loop, so a client's batches keep their order; the
/// log checks structure and CRC), then answers at once for acks=0/1 or once the high watermark
/// covers the batches for acks=all. Topic settings (min.insync.replicas, compression.type,
/// timestamp bounds) are read per request from <see cref="TopicLogConfigs"/>, so a changed topic
/// config applies to the next request.
/// </summary>
internal sealed class ProduceHandler(LocalPartitions partitions, MetadataCache metadata, TopicLogConfigs configs, TimeProvider time) : RequestHandler<ProduceRequestData, ProduceResponseData>
{
    public override ApiKey ApiKey => ApiKey.Produce;

    // Kafka 4 still advertises v0 (KAFKA-18659) for old clients' feature probes; v0-2 requests
    // themselves fail to decode (our schema starts at 3) and close the connection, as in Kafka 4.
    public override short MinVersion => 0;

    public override short MaxVersion => 12;

    protected override ValueTask<ProduceResponseData?> HandleAsync(RequestContext context, ProduceRequestData request, CancellationToken cancellationToken)
    {
        var response = new ProduceResponseData();
        List<Pending>? waits = null;
        bool validAcks = request.Acks is -1 or 0 or 1;
        // Scratch buffers only for the paths that decompress (compacted keys, timestamp bounds,
        // recompression); the plain path allocates none.
        var buffers = default(Buffers);
        long nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (ProduceRequestData.TopicProduceData topic in request.TopicData)
        {
            TopicProducePolicy policy = configs.ProducePolicyFor(topic.Name);
            var topicResponse = new ProduceResponseData.TopicProduceResponse { Name = topic.Name, TopicId = topic.TopicId };
            response.Responses.Add(topicResponse);
            foreach (ProduceRequestData.PartitionProduceData data in topic.PartitionData)
            {
                var result = new ProduceResponseData.PartitionProduceResponse { Index = data.Index, BaseOffset = -1 };
                topicResponse.PartitionResponses.Add(result);
                if (!validAcks)
                {
                    result.ErrorCode = (short)ErrorCode.InvalidRequiredAcks;
                    continue;
                }

                if (request.TransactionalId is not null)
                {
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    result.ErrorMessage = "Transactions are not supported by this broker yet.";
                    continue;
                }

                if (partitions.IsOffline(topic.Name, data.Index))
                {
                    result.ErrorCode = (short)ErrorCode.KafkaStorageError; // an offline replica (disk fault), as Kafka answers
                    continue;
                }

                Partition? partition = partitions.Get(topic.Name, data.Index);
                if (partition is null)
                {
                    result.ErrorCode = (short)metadata.Current.NotLeaderError(topic.Name, data.Index);
                    continue;
                }

                Append(partition, policy, request, data, result, nowMs, context.ReceivedChecksums, ref buffers, ref waits);
            }
        }

        buffers.Scratch?.Dispose();
        buffers.Converted?.Dispose();
        if (request.Acks == 0)
        {
            return new ValueTask<ProduceResponseData?>((ProduceResponseData?)null);
        }

        return waits is null
            ? new ValueTask<ProduceResponseData?>(response)
            : WaitForReplicationAsync(response, waits, request.TimeoutMs, cancellationToken);
    }

    private static void Append(Partition partition, TopicProducePolicy policy, ProduceRequestData request, ProduceRequestData.PartitionProduceData data, ProduceResponseData.PartitionProduceResponse result, long nowMs, ChunkedCrc32C? checksums, ref Buffers buffers, ref List<Pending>? waits)
    {
        if (data.Records is not { IsEmpty: false } records)
        {
            result.ErrorCode = (short)ErrorCode.CorruptMessage;
            result.ErrorMessage = "The partition's records are missing.";
            return;
        }

        LogConfig config = partition.Log.Config;
        CompressionType? target = policy.TargetCompression;
        if ((config.CleanupPolicy & CleanupPolicy.Compact) != 0 || policy.ChecksTimestamps || target is not null)
        {
            buffers.Scratch ??= new PooledBufferWriter();
        }

        LogValidator.Result validation = LogValidator.Validate(records, config, policy, nowMs, buffers.Scratch);
        if (validation.Error != ErrorCode.None)
        {
            Refuse(result, validation);
            return;
        }

        // The request owns its frame buffer until the response is sent, so the log may patch
        // offsets and leader epochs into these bytes in place before writing them.
        Memory<byte> writable = MemoryMarshal.AsMemory(records);
        if (target is { } codec && BatchRecompressor.Needs(records, codec))
        {
            PooledBufferWriter converted = buffers.Converted ??= new PooledBufferWriter();
            converted.Clear();
            LogValidator.Result recompressed = BatchRecompressor.Recompress(records, codec, config, converted, buffers.Scratch!);
            if (recompressed.Error != ErrorCode.None)
            {
                Refuse(result, recompressed);
                return;
            }

            // Appended before the next partition reuses the buffer: the log copies it to the file.
            writable = MemoryMarshal.AsMemory(converted.WrittenMemory);
            checksums = null; // of the request's bytes, not of these
        }

        (ErrorCode error, LogAppendInfo info) = partition.AppendAsLeader(writable, request.Acks, policy.MinInsyncReplicas, out int leaderEpoch, checksums);
        if (error is ErrorCode.CorruptMessage or ErrorCode.MessageTooLarge or ErrorCode.RecordListTooLarge)
        {
            // The log's structural refusal: the same words the checks gave when they ran here.
            result.ErrorMessage = LogValidator.StructuralMessage(info.Status, -1, config);
        }

        result.ErrorCode = (short)error;
        result.LogStartOffset = partition.LogStartOffset;
        if (error != ErrorCode.None)
        {
            if (error == ErrorCode.NotLeaderOrFollower)
            {
                result.CurrentLeader = new ProduceResponseData.LeaderIdAndEpoch { LeaderId = partition.LeaderId, LeaderEpoch = partition.LeaderEpoch };
            }
            else if (error == ErrorCode.OutOfOrderSequenceNumber)
            {
                result.ErrorMessage = "The batch's sequence number does not follow the producer's last one on this partition.";
            }
            else if (error == ErrorCode.InvalidProducerEpoch)
            {
                result.ErrorMessage = "The producer epoch is older than the one this partition has seen.";
            }

            return;
        }

        // A duplicate (a retried batch already in the log) comes back as success with the original
        // offsets and was not appended again; acks=all then waits for those offsets.
        result.BaseOffset = info.FirstOffset;
        result.LogAppendTimeMs = info.LogAppendTime;
        if (request.Acks == -1 && partition.HighWatermark <= info.LastOffset)
        {
            (waits ??= []).Add(new Pending(partition, info.LastOffset + 1, leaderEpoch, policy.MinInsyncReplicas, result));
        }
    }

    /// <summary>acks=all: waits until every appended batch is below its partition's high watermark, or the request's timeout.</summary>
    private async ValueTask<ProduceResponseData?> WaitForReplicationAsync(ProduceResponseData response, List<Pending> waits, int timeoutMs, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(timeoutMs, 0)), time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        foreach (Pending pending in waits)
        {
            Partition partition = pending.Partition;
            while (true)
            {
                // Only a high watermark move (or a change of leadership) can settle it, not an append.
                Task changed = partition.WaitForHighWatermarkChangeAsync();
                ErrorCode? outcome = partition.AcksAllOutcome(pending.RequiredHighWatermark, pending.LeaderEpoch, pending.MinInsyncReplicas);
                if (outcome is { } done)
                {
                    pending.Result.ErrorCode = (short)done;
                    break;
                }

                try
                {
                    await changed.WaitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    pending.Result.ErrorCode = (short)ErrorCode.RequestTimedOut;
                    break;
                }
            }
        }

        return response;
    }

    private static void Refuse(ProduceResponseData.PartitionProduceResponse result, LogValidator.Result fault)
    {
        result.ErrorCode = (short)fault.Error;
        result.ErrorMessage = fault.Message;
        result.RecordErrors.Add(new ProduceResponseData.BatchIndexAndErrorMessage { BatchIndex = fault.BatchIndex, BatchIndexErrorMessage = fault.Message });
    }

    /// <summary>Per-request scratch space, created on first need and reused across partitions.</summary>
    private struct Buffers
    {
        public PooledBufferWriter? Scratch;
        public PooledBufferWriter? Converted;
    }

    private sealed record Pending(Partition Partition, long RequiredHighWatermark, int LeaderEpoch, int MinInsyncReplicas, ProduceResponseData.PartitionProduceResponse Result);
}
