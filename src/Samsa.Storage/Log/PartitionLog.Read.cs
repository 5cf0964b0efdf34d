using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Finds whole stored batches from the one holding <paramref name="startOffset"/>: at most
    /// <paramref name="maxBytes"/> (but the first batch even if larger when
    /// <paramref name="minOneBatch"/>), only batches that end below <paramref name="maxOffset"/>
    /// (exclusive: the high watermark for consumers, the log end for followers) and the committed
    /// log end. Like Kafka, one read never spans segments. No lock, no allocation: the result is a
    /// range of a segment file that the caller copies out.
    /// </summary>
    private LogReadInfo ReadUnchecked(long startOffset, int maxBytes, long maxOffset, bool minOneBatch)
    {
        long logStart = LogStartOffset;
        (long logEnd, LogSegment active, int activeSize) = ReadEnd();
        LogSegment[] segments = Volatile.Read(ref _segments);
        if (_closed)
        {
            return new LogReadInfo(LogReadStatus.LogClosed, null, 0, 0, -1, logStart, logEnd);
        }

        if (startOffset < logStart || startOffset > logEnd)
        {
            return new LogReadInfo(LogReadStatus.OffsetOutOfRange, null, 0, 0, -1, logStart, logEnd);
        }

        long limit = Math.Min(maxOffset, logEnd);
        for (int i = FindSegmentIndex(segments, startOffset); i < segments.Length; i++)
        {
            LogSegment segment = segments[i];
            if (startOffset >= limit || segment.BaseOffset >= limit)
            {
                break;
            }

            int segmentEnd = segment == active ? activeSize : segment.Size;
            SafeFileHandle? handle = segment.AcquireHandle();
            if (handle is null)
            {
                // Removed (retention, truncation) or closed since we looked: the offset is gone.
                return new LogReadInfo(_closed ? LogReadStatus.LogClosed : LogReadStatus.OffsetOutOfRange, null, 0, 0, -1, LogStartOffset, LogEndOffset);
            }

            try
            {
                int start = segment.FindBatchStart(handle, startOffset, segmentEnd, out BatchHeaderInfo first);
                if (start < 0)
                {
                    return HeadersDoNotParse(segment, segmentEnd, logStart, logEnd);
                }

                if (start == segmentEnd)
                {
                    // Nothing at or after the offset here (a gap at the segment's end): the next segment.
                    continue;
                }

                if (first.LastOffset >= limit)
                {
                    break;
                }

                int end = segmentEnd;
                long next = segment == active ? logEnd : -1;
                if (limit < logEnd)
                {
                    end = segment.FindBatchStart(handle, limit, segmentEnd, out _);
                    if (end < 0)
                    {
                        return HeadersDoNotParse(segment, segmentEnd, logStart, logEnd);
                    }

                    next = -1;
                }

                if (end - start > Math.Max(maxBytes, 0))
                {
                    int cut = segment.FindBoundaryAtOrBefore(handle, start, (int)Math.Min(end, (long)start + Math.Max(maxBytes, 0)), end, out next);
                    if (cut == start)
                    {
                        if (!minOneBatch)
                        {
                            break;
                        }

                        cut = first.End;
                        next = first.LastOffset + 1;
                    }

                    end = cut;
                }

                if (next >= 0)
                {
                    // A sequential reader's next call starts here without an index lookup.
                    segment.RememberReadEnd(next, end);
                }

                // Bytes that were on disk before this process opened the log are checked once before
                // they are served; a corrupt batch throws, and Read takes the log offline.
                segment.CheckBeforeServing(start, end);
                return new LogReadInfo(LogReadStatus.Success, segment, start, end - start, first.BaseOffset, logStart, logEnd);
            }
            finally
            {
                handle.DangerousRelease();
            }
        }

        return new LogReadInfo(LogReadStatus.Success, null, 0, 0, -1, logStart, logEnd);
    }

    /// <summary>
    /// A read whose header scan met bytes that are not batch headers. In bytes that were on disk
    /// before this process opened the log that is corruption: the check of old bytes finds the batch,
    /// names it and throws, and <see cref="Read"/> takes the log offline. Otherwise (what this process
    /// wrote, or a truncation that cut the file under the scan) only this read fails.
    /// </summary>
    private static LogReadInfo HeadersDoNotParse(LogSegment segment, int segmentEnd, long logStart, long logEnd)
    {
        segment.CheckBeforeServing(0, segmentEnd);
        return new LogReadInfo(LogReadStatus.StorageError, null, 0, 0, -1, logStart, logEnd);
    }

    /// <summary>
    /// ListOffsets by timestamp: the first offset at or after the log start whose record
    /// timestamp is at least <paramref name="timestamp"/>, or null when every record is older.
    /// Segments are chosen by their max timestamp, the batch through the time index and header
    /// scan, the record by reading that one batch (a LogAppendTime batch answers its base offset).
    /// </summary>
    public long? FindOffsetByTimestamp(long timestamp) => FindByTimestamp(timestamp)?.Offset;

    /// <summary>
    /// As <see cref="FindOffsetByTimestamp"/>, with the found record's own timestamp, which
    /// ListOffsets answers (the batch's append time for a LogAppendTime batch).
    /// </summary>
    public (long Offset, long Timestamp)? FindByTimestamp(long timestamp)
    {
        long logStart = LogStartOffset;
        (long logEnd, LogSegment active, int activeSize) = ReadEnd();
        foreach (LogSegment segment in Volatile.Read(ref _segments))
        {
            if (segment.BaseOffset >= logEnd)
            {
                break;
            }

            if (segment.GetMaxTimestamp().Timestamp < timestamp)
            {
                continue;
            }

            SafeFileHandle? handle = segment.AcquireHandle();
            if (handle is null)
            {
                continue;
            }

            try
            {
                int end = segment == active ? activeSize : segment.Size;
                if (!segment.FindBatchByTimestamp(handle, timestamp, end, out BatchHeaderInfo batch))
                {
                    continue;
                }

                if (FindRecordByTimestamp(handle, batch, timestamp) is { } found)
                {
                    return (Math.Max(found.Offset, logStart), found.Timestamp);
                }
            }
            finally
            {
                handle.DangerousRelease();
            }
        }

        return null;
    }

    /// <summary>ListOffsets MAX_TIMESTAMP (-3): the newest timestamp and the last offset of the batch holding it; null when empty.</summary>
    public (long Offset, long Timestamp)? MaxTimestampOffset()
    {
        long bestTimestamp = -1;
        long bestOffset = -1;
        long logEnd = LogEndOffset;
        foreach (LogSegment segment in Volatile.Read(ref _segments))
        {
            if (segment.BaseOffset >= logEnd)
            {
                break;
            }

            (long timestamp, long offset) = segment.GetMaxTimestamp();
            if (timestamp > bestTimestamp)
            {
                bestTimestamp = timestamp;
                bestOffset = offset;
            }
        }

        return bestOffset < 0 ? null : (bestOffset, bestTimestamp);
    }

    private static (long Offset, long Timestamp)? FindRecordByTimestamp(SafeFileHandle handle, BatchHeaderInfo batch, long timestamp)
    {
        byte[] bytes = new byte[batch.Size];
        if (BatchHeaderScanner.ReadFully(handle, bytes, batch.Position) != bytes.Length)
        {
            return null;
        }

        var header = new RecordBatchHeader(bytes);
        if (header.TimestampType == TimestampType.LogAppendTime)
        {
            return (header.BaseOffset, header.MaxTimestamp);
        }

        using var decompressed = new PooledBufferWriter();
        try
        {
            RecordEnumerator records = RecordBatch.GetRecords(bytes, decompressed, int.MaxValue);
            while (records.TryMoveNext() == RecordReadStatus.Record)
            {
                Record record = records.Current;
                long recordTimestamp = record.GetTimestamp(header.BaseTimestamp);
                if (recordTimestamp >= timestamp)
                {
                    return (record.GetOffset(header.BaseOffset), recordTimestamp);
                }
            }
        }
        catch (Samsa.Protocol.ProtocolException)
        {
            // A batch whose records do not decode: answer at batch granularity.
        }

        return header.MaxTimestamp >= timestamp ? (header.BaseOffset, header.MaxTimestamp) : null;
    }
}
