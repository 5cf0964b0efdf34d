using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Partitions;

/// <summary>
/// Topic <c>compression.type</c> other than <c>producer</c>: batches whose codec differs from the
/// topic's are rebuilt with it (Kafka's recompression on the leader). Each rebuilt batch keeps the
/// source's producer id, epoch, base sequence, transactional flag and timestamp type, and every
/// record's key, value, headers and timestamp; offsets are assigned from 0 in record order (the
/// log then moves them to the log end) and the CRC is computed anew. Batches already in the
/// topic's codec are copied unchanged. Only this path decompresses and compresses on produce.
/// </summary>
internal static class BatchRecompressor
{
    /// <summary>Whether any batch's codec differs from <paramref name="target"/> (headers only).</summary>
    public static bool Needs(ReadOnlyMemory<byte> records, CompressionType target)
    {
        var enumerator = RecordBatch.Enumerate(records);
        while (enumerator.MoveNext())
        {
            if (new RecordBatchHeader(enumerator.Current.Span).CompressionType != target)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Writes <paramref name="records"/> to <paramref name="destination"/> with every batch in
    /// <paramref name="target"/>. A source batch that is rebuilt gets the log's structural check
    /// first (CRC included): a corrupt batch must be refused, not laundered into a fresh CRC.
    /// </summary>
    public static LogValidator.Result Recompress(ReadOnlyMemory<byte> records, CompressionType target, LogConfig config, PooledBufferWriter destination, PooledBufferWriter scratch)
    {
        int index = 0;
        var enumerator = RecordBatch.Enumerate(records);
        while (enumerator.MoveNext())
        {
            ReadOnlyMemory<byte> batch = enumerator.Current;
            var header = new RecordBatchHeader(batch.Span);
            if (header.CompressionType == target)
            {
                batch.Span.CopyTo(destination.GetSpan(batch.Length));
                destination.Advance(batch.Length);
            }
            else
            {
                LogAppendStatus status = PartitionLog.CheckBatchStructure(batch, config.MaxMessageBytes);
                if (status != LogAppendStatus.Success)
                {
                    return LogValidator.Result.Fail(Partition.ToErrorCode(status), LogValidator.StructuralMessage(status, batch.Length, config), index);
                }

                LogValidator.Result rebuilt = Rebuild(batch, target, config, destination, scratch, index);
                if (rebuilt.Error != ErrorCode.None)
                {
                    return rebuilt;
                }
            }

            index++;
        }

        // Whatever follows the whole batches (a torn tail) goes along for the log to refuse.
        ReadOnlySpan<byte> rest = records.Span[enumerator.Position..];
        rest.CopyTo(destination.GetSpan(rest.Length));
        destination.Advance(rest.Length);
        return LogValidator.Result.Ok;
    }

    private static LogValidator.Result Rebuild(ReadOnlyMemory<byte> batch, CompressionType target, LogConfig config, PooledBufferWriter destination, PooledBufferWriter scratch, int index)
    {
        var header = new RecordBatchHeader(batch.Span);
        long baseTimestamp = header.BaseTimestamp;
        scratch.Clear();
        using var builder = new RecordBatchBuilder(destination, target, 0)
        {
            ProducerId = header.ProducerId,
            ProducerEpoch = header.ProducerEpoch,
            BaseSequence = header.BaseSequence,
            IsTransactional = header.IsTransactional,
            TimestampType = header.TimestampType,
            LogAppendTime = header.TimestampType == TimestampType.LogAppendTime ? header.MaxTimestamp : -1,
        };
        try
        {
            RecordEnumerator records = RecordBatch.GetRecords(batch, scratch, LogValidator.MaxDecompressedBytes(config));
            long offset = 0;
            while (true)
            {
                RecordReadStatus status = records.TryMoveNext();
                if (status == RecordReadStatus.End)
                {
                    break;
                }

                if (status != RecordReadStatus.Record)
                {
                    return LogValidator.Result.Fail(ErrorCode.CorruptMessage, $"Malformed record: {status}.", index);
                }

                Record record = records.Current;
                builder.AppendRecord(offset++, record.GetTimestamp(baseTimestamp), record);
            }

            if (builder.RecordCount == 0)
            {
                return LogValidator.Result.Fail(ErrorCode.InvalidRecord, "A record batch needs at least one record.", index);
            }

            builder.Complete();
            return LogValidator.Result.Ok;
        }
        catch (ProtocolException e)
        {
            // The destination then holds a half-built batch; the caller drops it with the error.
            return LogValidator.Result.Fail(ErrorCode.CorruptMessage, e.Message, index);
        }
    }
}
