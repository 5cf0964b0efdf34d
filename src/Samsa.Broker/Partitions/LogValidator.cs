using Samsa.Protocol;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The leader's checks on client batches before they are appended (Kafka's LogValidator):
/// structure and CRC, batch size against max.message.bytes, offsets consistent with the record
/// count, no client control batches, idempotence fields, and keys on compacted topics. Works on
/// the request's bytes in place; only compacted topics with compressed batches decompress.
/// </summary>
internal static class LogValidator
{
    public readonly record struct Result(ErrorCode Error, string? Message, int BatchCount, int RecordCount)
    {
        public static Result Fail(ErrorCode error, string message) => new(error, message, 0, 0);
    }

    public static Result Validate(ReadOnlyMemory<byte> records, LogConfig config, PooledBufferWriter? scratch)
    {
        int batches = 0;
        int recordCount = 0;
        var enumerator = RecordBatch.Enumerate(records);
        while (enumerator.MoveNext())
        {
            ReadOnlySpan<byte> batch = enumerator.Current.Span;
            RecordBatchStatus status = RecordBatch.TryValidate(batch);
            if (status != RecordBatchStatus.Valid)
            {
                return status == RecordBatchStatus.UnsupportedMagic
                    ? Result.Fail(ErrorCode.UnsupportedForMessageFormat, "Only record batches of magic 2 are accepted.")
                    : Result.Fail(ErrorCode.CorruptMessage, $"Record batch failed validation: {status}.");
            }

            if (batch.Length > config.MaxMessageBytes)
            {
                return Result.Fail(ErrorCode.MessageTooLarge, $"The record batch of {batch.Length} bytes is larger than the topic's max.message.bytes ({config.MaxMessageBytes}).");
            }

            var header = new RecordBatchHeader(batch);
            if (header.IsControlBatch)
            {
                return Result.Fail(ErrorCode.InvalidRecord, "Clients may not write control batches.");
            }

            if (header.RecordCount <= 0 || (long)header.LastOffsetDelta + 1 != header.RecordCount)
            {
                return Result.Fail(ErrorCode.InvalidRecord, $"Record count {header.RecordCount} does not match the batch's last offset delta {header.LastOffsetDelta}.");
            }

            if (header.ProducerId >= 0 && header.BaseSequence < 0)
            {
                return Result.Fail(ErrorCode.InvalidRecord, "An idempotent batch must carry a sequence number.");
            }

            if ((config.CleanupPolicy & CleanupPolicy.Compact) != 0)
            {
                Result keys = CheckKeys(enumerator.Current, config, scratch);
                if (keys.Error != ErrorCode.None)
                {
                    return keys;
                }
            }

            batches++;
            recordCount += header.RecordCount;
        }

        if (enumerator.Status != RecordBatchEnumeratorStatus.Complete || batches == 0)
        {
            return Result.Fail(ErrorCode.CorruptMessage, "The records are not a sequence of whole record batches.");
        }

        return new Result(ErrorCode.None, null, batches, recordCount);
    }

    /// <summary>Compacted topics keep the latest value per key, so every record needs one.</summary>
    private static Result CheckKeys(ReadOnlyMemory<byte> batch, LogConfig config, PooledBufferWriter? scratch)
    {
        using PooledBufferWriter? owned = scratch is null ? new PooledBufferWriter() : null;
        PooledBufferWriter buffer = scratch ?? owned!;
        buffer.Clear();
        try
        {
            RecordEnumerator records = RecordBatch.GetRecords(batch, buffer, Math.Max(config.MaxMessageBytes, 1) * 64);
            while (true)
            {
                RecordReadStatus status = records.TryMoveNext();
                if (status == RecordReadStatus.End)
                {
                    return new Result(ErrorCode.None, null, 0, 0);
                }

                if (status != RecordReadStatus.Record)
                {
                    return Result.Fail(ErrorCode.CorruptMessage, $"Malformed record: {status}.");
                }

                if (records.Current.IsKeyNull)
                {
                    return Result.Fail(ErrorCode.InvalidRecord, "Compacted topic cannot accept message without key.");
                }
            }
        }
        catch (ProtocolException e)
        {
            return Result.Fail(ErrorCode.CorruptMessage, e.Message);
        }
    }
}
