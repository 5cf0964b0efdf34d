using Samsa.Protocol.Records;
using Samsa.Storage.Producers;

namespace Samsa.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Appends client batches the broker has already checked against topic policy: checks their
    /// structure (never throws for bad input), assigns offsets from the log end and stamps
    /// <paramref name="leaderEpoch"/> in place (and LogAppendTime when the topic says so), rolls
    /// if needed, writes, indexes, records a new epoch, and only then moves the log end.
    /// Idempotent batches are checked against the producer state first, under the same lock:
    /// a retried batch comes back as <see cref="LogAppendStatus.DuplicateSequence"/> with its
    /// original offsets and is not written again; a sequence gap or a stale epoch is refused.
    /// </summary>
    /// <param name="checksums">
    /// The chunk CRCs of the request buffer <paramref name="records"/> was received into, taken as it
    /// arrived (<see cref="ChunkedCrc32C"/>): the CRC checks join them instead of reading the batches again.
    /// No byte a batch's CRC covers may have changed since that copy.
    /// </param>
    public LogAppendInfo AppendAsLeader(Memory<byte> records, int leaderEpoch, ChunkedCrc32C? checksums = null)
    {
        bool logAppendTime = Config.MessageTimestampType == TimestampType.LogAppendTime;

        // LogAppendTime rewrites CRC-covered bytes (and the CRC), so its check must come first.
        bool checkBesideWrite = checksums is null && !logAppendTime && BackgroundCrcCheck.Suits(records.Length);
        LogAppendStatus status = CheckStructure(records, checksums, ref checkBesideWrite, out int recordCount);
        if (status != LogAppendStatus.Success)
        {
            return LogAppendInfo.Failed(status, LogStartOffset);
        }

        if (records.IsEmpty)
        {
            return new LogAppendInfo(LogAppendStatus.Success, -1, -1, -1, -1, 0, -1, LogStartOffset);
        }

        BackgroundCrcCheck? crc = checkBesideWrite ? BackgroundCrcCheck.Start(records) : null;
        try
        {
            return AppendAsLeaderAfterCheck(records, leaderEpoch, logAppendTime, recordCount, crc);
        }
        finally
        {
            crc?.Complete();
        }
    }

    /// <summary>
    /// <see cref="AppendAsLeader(Memory{byte}, int, ChunkedCrc32C?)"/> after the structure check,
    /// with the batches' CRC check still running beside it when <paramref name="crc"/> is set.
    /// </summary>
    private LogAppendInfo AppendAsLeaderAfterCheck(Memory<byte> records, int leaderEpoch, bool logAppendTime, int recordCount, BackgroundCrcCheck? crc)
    {
        LogAppendInfo info;
        lock (_lock)
        {
            LogAppendStatus refusal = AppendRefusal();
            if (refusal != LogAppendStatus.Success)
            {
                return FailedUnlessCorrupt(crc, refusal);
            }

            Span<byte> span = records.Span;
            ProducerCheckResult producers = CheckProducers(span);
            if (producers.Outcome != ProducerAppendCheck.Append)
            {
                return Corrupt(crc) ? CorruptAnswer : ProducerOutcome(producers, logAppendTime);
            }

            long now = NowMs;
            long firstOffset = _logEndOffset;
            long next = firstOffset;
            long maxTimestamp = -1;
            long offsetOfMax = firstOffset;
            for (int p = 0; p < span.Length;)
            {
                var header = new RecordBatchHeader(span[p..]);
                int size = (int)header.SizeInBytes;
                Span<byte> batch = span.Slice(p, size);
                RecordBatch.SetBaseOffset(batch, next);
                RecordBatch.SetPartitionLeaderEpoch(batch, leaderEpoch);
                if (logAppendTime)
                {
                    RecordBatch.SetMaxTimestamp(batch, TimestampType.LogAppendTime, now);
                }

                var stamped = new RecordBatchHeader(batch);
                next = stamped.LastOffset + 1;
                if (stamped.MaxTimestamp > maxTimestamp)
                {
                    maxTimestamp = stamped.MaxTimestamp;
                    offsetOfMax = stamped.LastOffset;
                }

                p += size;
            }

            // The epoch is checkpointed before the write, as Kafka does: a crash in between leaves
            // an entry past the log end, which load truncates; the other order (write, then crash
            // before the checkpoint) left stored batches of an epoch the cache never heard of.
            try
            {
                if (leaderEpoch >= 0 && _epochCache.LatestEpoch != leaderEpoch)
                {
                    if (Corrupt(crc))
                    {
                        return CorruptAnswer;
                    }

                    _epochCache.Assign(leaderEpoch, firstOffset);
                }

                if (!AppendLocked(span, firstOffset, next - 1, now, crc))
                {
                    return CorruptAnswer;
                }
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                // Nothing was published: the log end, segments and producer state are as before.
                return FailedUnlessCorrupt(crc, AppendFailed(e));
            }

            UpdateProducers(span);

            info = new LogAppendInfo(
                LogAppendStatus.Success,
                firstOffset,
                next - 1,
                maxTimestamp,
                offsetOfMax,
                recordCount,
                logAppendTime ? now : -1,
                _logStartOffset);
        }

        return FinishAppend(info);
    }

    /// <summary>
    /// Appends batches replicated from the leader with their offsets and epochs as they are. The
    /// first must start at or after the log end and offsets must grow (gaps are allowed: a
    /// compacted leader has them). New leader epochs in the batches go to the epoch cache.
    /// </summary>
    public LogAppendInfo AppendAsFollower(ReadOnlyMemory<byte> records)
    {
        bool checkBesideWrite = BackgroundCrcCheck.Suits(records.Length);
        LogAppendStatus status = CheckStructure(records, null, ref checkBesideWrite, out int recordCount);
        if (status != LogAppendStatus.Success)
        {
            return LogAppendInfo.Failed(status, LogStartOffset);
        }

        if (records.IsEmpty)
        {
            return new LogAppendInfo(LogAppendStatus.Success, -1, -1, -1, -1, 0, -1, LogStartOffset);
        }

        BackgroundCrcCheck? crc = checkBesideWrite ? BackgroundCrcCheck.Start(records) : null;
        try
        {
            return AppendAsFollowerAfterCheck(records, recordCount, crc);
        }
        finally
        {
            crc?.Complete();
        }
    }

    /// <summary>
    /// <see cref="AppendAsFollower(ReadOnlyMemory{byte})"/> after the structure check, with the
    /// batches' CRC check still running beside it when <paramref name="crc"/> is set.
    /// </summary>
    private LogAppendInfo AppendAsFollowerAfterCheck(ReadOnlyMemory<byte> records, int recordCount, BackgroundCrcCheck? crc)
    {
        LogAppendInfo info;
        lock (_lock)
        {
            LogAppendStatus refusal = AppendRefusal();
            if (refusal != LogAppendStatus.Success)
            {
                return FailedUnlessCorrupt(crc, refusal);
            }

            ReadOnlySpan<byte> span = records.Span;
            long previousLast = _logEndOffset - 1;
            long firstOffset = -1;
            long maxTimestamp = -1;
            long offsetOfMax = -1;
            for (int p = 0; p < span.Length;)
            {
                var header = new RecordBatchHeader(span[p..]);
                if (header.BaseOffset <= previousLast)
                {
                    return FailedUnlessCorrupt(crc, LogAppendStatus.OffsetOutOfOrder);
                }

                if (firstOffset < 0)
                {
                    firstOffset = header.BaseOffset;
                }

                previousLast = header.LastOffset;
                if (header.MaxTimestamp > maxTimestamp)
                {
                    maxTimestamp = header.MaxTimestamp;
                    offsetOfMax = header.LastOffset;
                }

                p += (int)header.SizeInBytes;
            }

            try
            {
                // Epochs before the write, as for the leader (see AppendAsLeader).
                for (int p = 0; p < span.Length;)
                {
                    var header = new RecordBatchHeader(span[p..]);
                    int epoch = header.PartitionLeaderEpoch;
                    if (epoch >= 0 && (_epochCache.LatestEpoch is not int latest || epoch > latest))
                    {
                        if (Corrupt(crc))
                        {
                            return CorruptAnswer;
                        }

                        _epochCache.Assign(epoch, header.BaseOffset);
                    }

                    p += (int)header.SizeInBytes;
                }

                if (!AppendLocked(span, firstOffset, previousLast, NowMs, crc))
                {
                    return CorruptAnswer;
                }
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                return FailedUnlessCorrupt(crc, AppendFailed(e));
            }

            UpdateProducers(span);

            info = new LogAppendInfo(LogAppendStatus.Success, firstOffset, previousLast, maxTimestamp, offsetOfMax, recordCount, -1, _logStartOffset);
        }

        return FinishAppend(info);
    }

    /// <summary>
    /// The structure every stored batch must have: whole batches only, each valid (size, magic,
    /// CRC), offsets that count up (lastOffsetDelta &gt;= 0), at most max.message.bytes each, the
    /// whole at most segment.bytes. The only place batches are checked on the way in (the broker
    /// checks policy only), so the log protects itself whoever calls it. Runs before the append
    /// lock: CRCs are the costly part.
    /// With <paramref name="crcLater"/>, the CRCs (and the fields they cover) are left to a
    /// <see cref="BackgroundCrcCheck"/> beside the write when all else passes; on any fault the
    /// whole check runs here instead (<paramref name="crcLater"/> comes back false), so the status
    /// is the one the full check gives (a bad CRC before a later batch's size). The record count
    /// read without the CRC is only used once the check has passed.
    /// </summary>
    private LogAppendStatus CheckStructure(ReadOnlyMemory<byte> records, ChunkedCrc32C? checksums, ref bool crcLater, out int recordCount)
    {
        recordCount = 0;
        LogConfig config = Config;
        if (records.Length > config.SegmentBytes)
        {
            crcLater = false;
            return LogAppendStatus.RecordListTooLarge;
        }

        RecordBatchEnumerator batches = RecordBatch.Enumerate(records);
        while (batches.MoveNext())
        {
            ReadOnlyMemory<byte> batch = batches.Current;
            LogAppendStatus status = crcLater
                ? CheckBatchFrame(batch, config.MaxMessageBytes)
                : CheckBatchStructure(batch, config.MaxMessageBytes, checksums);
            if (status != LogAppendStatus.Success)
            {
                if (crcLater)
                {
                    crcLater = false;
                    return CheckStructure(records, checksums, ref crcLater, out recordCount);
                }

                return status;
            }

            recordCount += new RecordBatchHeader(batch.Span).RecordCount;
        }

        if (batches.Status == RecordBatchEnumeratorStatus.Complete)
        {
            return LogAppendStatus.Success;
        }

        crcLater = false;
        return LogAppendStatus.CorruptMessage;
    }

    /// <summary><see cref="CheckBatchStructure"/> without the CRC and what it covers, except lastOffsetDelta (the append needs it).</summary>
    private static LogAppendStatus CheckBatchFrame(ReadOnlyMemory<byte> batch, int maxMessageBytes) =>
        RecordBatch.TryValidateFrame(batch.Span) != RecordBatchStatus.Valid || new RecordBatchHeader(batch.Span).LastOffsetDelta < 0 ? LogAppendStatus.CorruptMessage
        : batch.Length > maxMessageBytes ? LogAppendStatus.MessageTooLarge
        : LogAppendStatus.Success;

    /// <summary>
    /// Whether the batches failed a CRC check running beside the append (waiting for it). Every
    /// answer but a stored append asks first, so a corrupt batch is answered CORRUPT_MESSAGE as
    /// when its CRC is checked before the lock.
    /// </summary>
    private static bool Corrupt(BackgroundCrcCheck? crc) => crc is not null && !crc.Complete();

    /// <summary>The answer to batches that failed their CRC check beside the write. Under _lock.</summary>
    private LogAppendInfo CorruptAnswer => LogAppendInfo.Failed(LogAppendStatus.CorruptMessage, _logStartOffset);

    /// <summary>A failed append answered <paramref name="status"/>, or CORRUPT_MESSAGE if its batches were corrupt. Under _lock.</summary>
    private LogAppendInfo FailedUnlessCorrupt(BackgroundCrcCheck? crc, LogAppendStatus status) =>
        Corrupt(crc) ? CorruptAnswer : LogAppendInfo.Failed(status, _logStartOffset);

    /// <summary><paramref name="failed"/> (an I/O failure's answer, the log possibly offline), or CORRUPT_MESSAGE if the batches were corrupt.</summary>
    private static LogAppendInfo FailedUnlessCorrupt(BackgroundCrcCheck? crc, in LogAppendInfo failed) =>
        Corrupt(crc) ? LogAppendInfo.Failed(LogAppendStatus.CorruptMessage, failed.LogStartOffset) : failed;

    /// <summary>
    /// The structural check of one whole batch (exactly its bytes, as <see cref="RecordBatch.Enumerate"/>
    /// yields it), in this order: size, magic and CRC-32C (<see cref="RecordBatch.TryValidate"/>),
    /// then <paramref name="maxMessageBytes"/>, then offsets that count up. Public so the broker
    /// reports the same code for the same fault when it must order a structural fault before a
    /// policy one (its error path only).
    /// </summary>
    /// <param name="checksums">As in <see cref="AppendAsLeader"/>: the CRC is joined from them when the batch lies in their buffer.</param>
    public static LogAppendStatus CheckBatchStructure(ReadOnlyMemory<byte> batch, int maxMessageBytes, ChunkedCrc32C? checksums = null)
    {
        if (RecordBatch.TryValidate(batch, checksums) != RecordBatchStatus.Valid)
        {
            return LogAppendStatus.CorruptMessage;
        }

        if (batch.Length > maxMessageBytes)
        {
            return LogAppendStatus.MessageTooLarge;
        }

        return new RecordBatchHeader(batch.Span).LastOffsetDelta < 0 ? LogAppendStatus.CorruptMessage : LogAppendStatus.Success;
    }

    /// <summary>Why an append cannot start: <see cref="LogAppendStatus.Success"/> when it can. Under _lock.</summary>
    private LogAppendStatus AppendRefusal() =>
        _closed ? LogAppendStatus.LogClosed : IsOffline ? LogAppendStatus.Offline : LogAppendStatus.Success;

    /// <summary>
    /// The end of both append paths, after the append lock is released: the flush policy, and
    /// Offline instead of <paramref name="appended"/> when that flush failed.
    /// </summary>
    private LogAppendInfo FinishAppend(in LogAppendInfo appended) =>
        MaybeFlushAfterAppend() ? appended : LogAppendInfo.Failed(LogAppendStatus.Offline, appended.LogStartOffset);

    /// <summary>
    /// Rolls if needed, writes, and publishes the new end; false (nothing stored or published)
    /// when <paramref name="crc"/>, running beside the write, finds a batch corrupt. Under _lock.
    /// </summary>
    private bool AppendLocked(ReadOnlySpan<byte> records, long firstOffset, long lastOffset, long nowMs, BackgroundCrcCheck? crc)
    {
        LogSegment active = _activeSegment;
        if (ShouldRoll(active, records.Length, lastOffset, nowMs))
        {
            // The roll is decided from lastOffset (CRC-covered) and seals a segment: not for a corrupt append.
            if (Corrupt(crc))
            {
                return false;
            }

            active = Roll(firstOffset);
        }

        int size = active.Append(records, nowMs, crc);
        if (size < 0)
        {
            return false;
        }

        PublishEnd(lastOffset + 1, active, size);
        return true;
    }

    /// <summary>Kafka's roll rules, checked before each append.</summary>
    private bool ShouldRoll(LogSegment active, int appendBytes, long lastOffset, long nowMs)
    {
        int size = active.Size;
        return (size > 0 && size + (long)appendBytes > Config.SegmentBytes)
            || (size > 0 && nowMs - active.RollingBaseTimeMs > Config.SegmentMs - active.RollJitterMs)
            || active.IsIndexFull
            || lastOffset - active.BaseOffset > int.MaxValue;
    }

    /// <summary>
    /// Seals the active segment and starts a new one at <paramref name="baseOffset"/>. The sealed
    /// segment is fsynced in the background (<see cref="SegmentFlusher"/>), not by this append.
    /// Under _lock.
    /// </summary>
    private LogSegment Roll(long baseOffset)
    {
        LogSegment old = _activeSegment;
        if (old.Size == 0 && old.BaseOffset == baseOffset)
        {
            return old;
        }

        IndexStorage recycled = old.Seal();
        LogSegment[] segments = _segments;
        LogSegment created;
        try
        {
            created = LogSegment.CreateNew(_dir, baseOffset, Config, recycled);
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            // No new segment (a full disk may refuse even an empty file): the old one stays active
            // and this append fails; the next one tries the roll again.
            old.Reactivate();
            throw;
        }

        var updated = new LogSegment[segments.Length + 1];
        segments.CopyTo(updated, 0);
        updated[^1] = created;
        Volatile.Write(ref _segments, updated);
        PublishEnd(_logEndOffset, created, 0);

        // Kafka's roll-time snapshot: a restart replays at most the active segment's batches.
        try
        {
            TakeProducerSnapshot(baseOffset, fsync: false);
        }
        catch (StorageException e) when (OutOfSpace.IsCause(e))
        {
            // Only a shortcut for the next load, which replays from an older snapshot (or the log
            // start) without it; the roll and this append stand.
        }

        RequestRollFlush(baseOffset);
        return created;
    }

    /// <summary>
    /// flush.messages / flush.ms. Runs on the appending thread after the append lock is released,
    /// so other appends proceed meanwhile (a segment just rolled is flushed in the background).
    /// Returns false when the flush failed and took the log offline: the append is in the log but
    /// not durable, and Kafka answers it with KAFKA_STORAGE_ERROR too.
    /// </summary>
    private bool MaybeFlushAfterAppend()
    {
        long end = LogEndOffset;
        long unflushed = end - RecoveryPoint;
        if (unflushed >= Config.FlushMessages
            || (Config.FlushMs != long.MaxValue && unflushed > 0 && NowMs - Volatile.Read(ref _lastFlushMs) >= Config.FlushMs))
        {
            try
            {
                FlushUpTo(end);
            }
            catch (StorageException) when (IsOffline)
            {
                return false;
            }

            // Offline from another thread's failure before this flush ran: FlushUpTo fsyncs nothing
            // for an offline log, so this append is not durable either.
            return !IsOffline;
        }

        return true;
    }
}
