using System.Runtime.InteropServices;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Produce (0): validates each partition's batches, appends them to the leader's log in request
/// order (on the connection's receive loop, so a client's batches keep their order), then answers
/// at once for acks=0/1 or once the high watermark covers the batches for acks=all.
/// </summary>
internal sealed class ProduceHandler(LocalPartitions partitions, MetadataCache metadata, int minInsyncReplicas, TimeProvider time) : RequestHandler<ProduceRequestData, ProduceResponseData>
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
        // Only compacted topics decompress batches to check keys; others need no scratch buffer.
        PooledBufferWriter? scratch = null;
        foreach (ProduceRequestData.TopicProduceData topic in request.TopicData)
        {
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

                Partition? partition = partitions.Get(topic.Name, data.Index);
                if (partition is null)
                {
                    result.ErrorCode = (short)(metadata.Current.Partition(topic.Name, data.Index) is null ? ErrorCode.UnknownTopicOrPartition : ErrorCode.NotLeaderOrFollower);
                    continue;
                }

                Append(partition, request, data, result, ref scratch, ref waits);
            }
        }

        scratch?.Dispose();
        if (request.Acks == 0)
        {
            return new ValueTask<ProduceResponseData?>((ProduceResponseData?)null);
        }

        return waits is null
            ? new ValueTask<ProduceResponseData?>(response)
            : WaitForReplicationAsync(response, waits, request.TimeoutMs, cancellationToken);
    }

    private void Append(Partition partition, ProduceRequestData request, ProduceRequestData.PartitionProduceData data, ProduceResponseData.PartitionProduceResponse result, ref PooledBufferWriter? scratch, ref List<Pending>? waits)
    {
        if (data.Records is not { IsEmpty: false } records)
        {
            result.ErrorCode = (short)ErrorCode.CorruptMessage;
            result.ErrorMessage = "The partition's records are missing.";
            return;
        }

        LogConfig config = partition.Log.Config;
        if ((config.CleanupPolicy & CleanupPolicy.Compact) != 0)
        {
            scratch ??= new PooledBufferWriter();
        }

        LogValidator.Result validation = LogValidator.Validate(records, config, scratch);
        if (validation.Error != ErrorCode.None)
        {
            result.ErrorCode = (short)validation.Error;
            result.ErrorMessage = validation.Message;
            result.RecordErrors.Add(new ProduceResponseData.BatchIndexAndErrorMessage { BatchIndex = 0, BatchIndexErrorMessage = validation.Message });
            return;
        }

        // The request owns its frame buffer until the response is sent, so the log may patch
        // offsets and leader epochs into these bytes in place before writing them.
        Memory<byte> writable = MemoryMarshal.AsMemory(records);
        (ErrorCode error, LogAppendInfo info) = partition.AppendAsLeader(writable, request.Acks, minInsyncReplicas);
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
            (waits ??= []).Add(new Pending(partition, info.LastOffset + 1, result));
        }
    }

    /// <summary>acks=all: waits until every appended batch is below its partition's high watermark, or the request's timeout.</summary>
    private async ValueTask<ProduceResponseData?> WaitForReplicationAsync(ProduceResponseData response, List<Pending> waits, int timeoutMs, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Max(timeoutMs, 0)), time);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        foreach (Pending pending in waits)
        {
            while (pending.Partition.HighWatermark < pending.RequiredHighWatermark)
            {
                Task changed = pending.Partition.WaitForChangeAsync();
                if (pending.Partition.HighWatermark >= pending.RequiredHighWatermark)
                {
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

    private sealed record Pending(Partition Partition, long RequiredHighWatermark, ProduceResponseData.PartitionProduceResponse Result);
}
