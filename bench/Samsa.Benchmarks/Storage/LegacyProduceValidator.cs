using Samsa.Protocol;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Benchmarks.Storage;

/// <summary>
/// The broker's produce check as it was before the structural check moved into the log alone:
/// structure and CRC-32C of every batch, max.message.bytes, then policy (control batches, record
/// count, sequence), all before <c>PartitionLog.AppendAsLeader</c> checked the structure and CRC
/// again. Kept only as the "before" of <see cref="ProduceAppendBenchmarks"/> (compacted-topic key
/// checks left out: the benchmark topic is not compacted).
/// </summary>
internal static class LegacyProduceValidator
{
    public static ErrorCode Validate(ReadOnlyMemory<byte> records, LogConfig config)
    {
        int batches = 0;
        var enumerator = RecordBatch.Enumerate(records);
        while (enumerator.MoveNext())
        {
            ReadOnlySpan<byte> batch = enumerator.Current.Span;
            RecordBatchStatus status = RecordBatch.TryValidate(batch);
            if (status != RecordBatchStatus.Valid)
            {
                return status == RecordBatchStatus.UnsupportedMagic ? ErrorCode.UnsupportedForMessageFormat : ErrorCode.CorruptMessage;
            }

            if (batch.Length > config.MaxMessageBytes)
            {
                return ErrorCode.MessageTooLarge;
            }

            var header = new RecordBatchHeader(batch);
            if (header.IsControlBatch
                || header.RecordCount <= 0
                || (long)header.LastOffsetDelta + 1 != header.RecordCount
                || (header.ProducerId >= 0 && header.BaseSequence < 0))
            {
                return ErrorCode.InvalidRecord;
            }

            batches++;
        }

        return enumerator.Status != RecordBatchEnumeratorStatus.Complete || batches == 0 ? ErrorCode.CorruptMessage : ErrorCode.None;
    }
}
