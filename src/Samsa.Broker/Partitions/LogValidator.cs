using Samsa.Protocol;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The leader's policy checks on client batches before they are appended (the policy half of
/// Kafka's LogValidator): the record format (magic 2), no control batches from clients, a record
/// count that matches the last offset delta, idempotence fields, keys on compacted topics, and
/// CreateTime timestamps within message.timestamp.before/after.max.ms. Structure (lengths, CRC-32C,
/// max.message.bytes) is the log's check (<see cref="PartitionLog.CheckBatchStructure"/>), made
/// once per byte when the log appends; this class reads headers only, and walks records only when
/// a policy needs them (compacted topics, finite timestamp bounds).
/// <para>
/// Error order is Kafka's and stays what it was when both checks ran here: the first faulty batch
/// in request order is reported, and within a batch a structural fault comes before a policy one.
/// So when a policy check fails, the batches up to and including the failing one get the
/// structural check here (a CRC on the error path only): a bit flip that makes a header look like
/// a client control batch reports CORRUPT_MESSAGE, not INVALID_RECORD.
/// </para>
/// </summary>
internal static class LogValidator
{
    public readonly record struct Result(ErrorCode Error, string? Message, int BatchIndex)
    {
        public static Result Ok => default;

        public static Result Fail(ErrorCode error, string message, int batchIndex) => new(error, message, batchIndex);
    }

    public static Result Validate(ReadOnlyMemory<byte> records, LogConfig config, TopicProducePolicy policy, long nowMs, PooledBufferWriter? scratch)
    {
        bool compacted = (config.CleanupPolicy & CleanupPolicy.Compact) != 0;
        bool timestamps = policy.ChecksTimestamps && config.MessageTimestampType == TimestampType.CreateTime;
        int index = 0;
        var enumerator = RecordBatch.Enumerate(records);
        while (enumerator.MoveNext())
        {
            Result fault = CheckPolicy(enumerator.Current, config, policy, compacted, timestamps, nowMs, scratch, index);
            if (fault.Error != ErrorCode.None)
            {
                return StructuralFaultUpTo(records, index, config) ?? fault;
            }

            index++;
        }

        // Torn tails and bad lengths are structure: the log refuses them with CORRUPT_MESSAGE.
        return Result.Ok;
    }

    /// <summary>Policy checks of one whole batch (at least a header long, as the enumerator yields it).</summary>
    private static Result CheckPolicy(ReadOnlyMemory<byte> batch, LogConfig config, TopicProducePolicy policy, bool compacted, bool timestamps, long nowMs, PooledBufferWriter? scratch, int index)
    {
        var header = new RecordBatchHeader(batch.Span);
        if (header.Magic != RecordBatch.CurrentMagic)
        {
            return Result.Fail(ErrorCode.UnsupportedForMessageFormat, "Only record batches of magic 2 are accepted.", index);
        }

        if (header.IsControlBatch)
        {
            return Result.Fail(ErrorCode.InvalidRecord, "Clients may not write control batches.", index);
        }

        if (header.RecordCount <= 0 || (long)header.LastOffsetDelta + 1 != header.RecordCount)
        {
            return Result.Fail(ErrorCode.InvalidRecord, $"Record count {header.RecordCount} does not match the batch's last offset delta {header.LastOffsetDelta}.", index);
        }

        if (header.ProducerId >= 0 && header.BaseSequence < 0)
        {
            return Result.Fail(ErrorCode.InvalidRecord, "An idempotent batch must carry a sequence number.", index);
        }

        return compacted || timestamps
            ? CheckRecords(batch, config, policy, compacted, timestamps, nowMs, scratch, index)
            : Result.Ok;
    }

    /// <summary>
    /// The per-record policies: compacted topics keep the latest value per key, so every record
    /// needs one; CreateTime records must lie within the topic's bounds around the broker clock.
    /// </summary>
    private static Result CheckRecords(ReadOnlyMemory<byte> batch, LogConfig config, TopicProducePolicy policy, bool compacted, bool timestamps, long nowMs, PooledBufferWriter? scratch, int index)
    {
        using PooledBufferWriter? owned = scratch is null ? new PooledBufferWriter() : null;
        PooledBufferWriter buffer = scratch ?? owned!;
        buffer.Clear();
        var header = new RecordBatchHeader(batch.Span);
        long baseTimestamp = header.BaseTimestamp;
        long baseOffset = header.BaseOffset;
        try
        {
            RecordEnumerator records = RecordBatch.GetRecords(batch, buffer, MaxDecompressedBytes(config));
            while (true)
            {
                RecordReadStatus status = records.TryMoveNext();
                if (status == RecordReadStatus.End)
                {
                    return Result.Ok;
                }

                if (status != RecordReadStatus.Record)
                {
                    return Result.Fail(ErrorCode.CorruptMessage, $"Malformed record: {status}.", index);
                }

                Record record = records.Current;
                if (compacted && record.IsKeyNull)
                {
                    return Result.Fail(ErrorCode.InvalidRecord, "Compacted topic cannot accept message without key.", index);
                }

                if (timestamps)
                {
                    long timestamp = record.GetTimestamp(baseTimestamp);
                    if (timestamp >= 0
                        && (nowMs - timestamp > policy.TimestampBeforeMaxMs || timestamp - nowMs > policy.TimestampAfterMaxMs))
                    {
                        return Result.Fail(
                            ErrorCode.InvalidTimestamp,
                            $"Timestamp {timestamp} of the record at offset delta {record.GetOffset(baseOffset) - baseOffset} is out of range: "
                            + $"the topic accepts CreateTime at most {policy.TimestampBeforeMaxMs} ms before and {policy.TimestampAfterMaxMs} ms after the broker's clock ({nowMs}).",
                            index);
                    }
                }
            }
        }
        catch (ProtocolException e)
        {
            return Result.Fail(ErrorCode.CorruptMessage, e.Message, index);
        }
    }

    /// <summary>How far a batch may decompress: generous (codecs reach ~1:1000 only on silly data) but bounded.</summary>
    internal static int MaxDecompressedBytes(LogConfig config) => (int)Math.Min(int.MaxValue, Math.Max((long)config.MaxMessageBytes, 1) * 64);

    /// <summary>
    /// The structural fault of the first batch up to <paramref name="lastIndex"/> that has one
    /// (the log's check, so the code is the one the log would answer), or null when they are sound.
    /// </summary>
    private static Result? StructuralFaultUpTo(ReadOnlyMemory<byte> records, int lastIndex, LogConfig config)
    {
        int index = 0;
        var enumerator = RecordBatch.Enumerate(records);
        while (index <= lastIndex && enumerator.MoveNext())
        {
            ReadOnlySpan<byte> batch = enumerator.Current.Span;

            // A batch of another format is a format error before anything else, as before (magic
            // sits before the CRC); its CRC cannot be trusted to mean the same thing anyway.
            if (index == lastIndex && new RecordBatchHeader(batch).Magic != RecordBatch.CurrentMagic)
            {
                return null;
            }

            LogAppendStatus status = PartitionLog.CheckBatchStructure(enumerator.Current, config.MaxMessageBytes);
            if (status != LogAppendStatus.Success)
            {
                return Result.Fail(Partition.ToErrorCode(status), StructuralMessage(status, batch.Length, config), index);
            }

            index++;
        }

        return null;
    }

    /// <summary>The message a produce answer carries for a structural refusal, by the log's status (<paramref name="batchBytes"/> -1: not known).</summary>
    public static string StructuralMessage(LogAppendStatus status, int batchBytes, LogConfig config) => status switch
    {
        LogAppendStatus.MessageTooLarge when batchBytes >= 0 => $"The record batch of {batchBytes} bytes is larger than the topic's max.message.bytes ({config.MaxMessageBytes}).",
        LogAppendStatus.MessageTooLarge => $"A record batch is larger than the topic's max.message.bytes ({config.MaxMessageBytes}).",
        LogAppendStatus.RecordListTooLarge => $"The records are larger than the topic's segment.bytes ({config.SegmentBytes}).",
        _ => "The records failed the structure check (whole batches, lengths, CRC-32C).",
    };
}
