using Microsoft.Win32.SafeHandles;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.Checkpoints;
using Samsa.Storage.Log;

namespace Samsa.Storage.Cleaning;

/// <summary>
/// Log compaction for one log dir (Kafka's LogCleaner, one thread, simplified): keeps the newest
/// record per key in logs whose cleanup.policy includes compact.
/// <para>
/// A pass over a log: the sealed segments from the log start up to the first uncleanable offset
/// (the active segment, the high watermark, min.compaction.lag.ms) are the cleanable range; the
/// part from the cleaner checkpoint (<c>cleaner-offset-checkpoint</c>) on is dirty, the part
/// before is clean (already compacted). It runs when the dirty share reaches
/// min.cleanable.dirty.ratio or tombstones are due. An <see cref="OffsetMap"/> of key → latest
/// offset is built from the dirty part, as far as it fits; then every segment from the log start
/// to that point is rewritten, in groups of consecutive segments up to segment.bytes, keeping a
/// record only when no later offset of its key is in the map. Offsets are kept (gaps appear);
/// untouched batches are copied byte for byte and thinned ones rebuilt with their codec,
/// producer fields, leader epoch and timestamps. Each group goes to <c>&lt;base&gt;.log.cleaned</c>,
/// is fsynced, and is swapped in by <see cref="PartitionLog.ReplaceSegments"/>; the checkpoint moves
/// only after every swap.
/// </para>
/// <para>
/// Kept whole, always: control batches and transactional batches (their records neither enter the
/// map nor are removed: an aborted write must not hide the committed value before it, and without
/// a transaction index we cannot tell aborted from committed), and the last batch of every
/// producer id in the log (producer state is rebuilt from it). Records without a key are dropped,
/// as Kafka does (a compacted topic cannot hold them).
/// </para>
/// <para>
/// Tombstones (null values) are removed only delete.retention.ms after the pass that first
/// compacted them, so a consumer reading from the start in that time still sees them. The start of
/// that clock is the cleaned file's modification time, set by the cleaner: the pass time when the
/// file keeps tombstones still waiting, the Unix epoch (long expired) when it keeps none. A segment
/// below the checkpoint loses its tombstones once its clock is delete.retention.ms old; dirty
/// segments always keep them. Groups never mix segments whose waiting tombstones have different
/// clocks, so merging never postpones a tombstone's removal. A clean segment whose clock
/// expired makes the log due for a pass even without new dirt. A file copied without its mtime
/// only keeps its tombstones longer.
/// </para>
/// <para>Thread-safety: passes are serialized by a lock; the broker calls from its maintenance loop.</para>
/// </summary>
internal sealed class LogCleaner
{
    public const string CheckpointFileName = "cleaner-offset-checkpoint";

    /// <summary>The clock of a file that keeps no tombstone waiting (Unix epoch: always expired).</summary>
    private const long NoWaitingTombstones = 0;

    private const long Dirty = -1;
    private const int WriteChunkBytes = 1024 * 1024;
    private const int MaxDecompressedBytes = 256 * 1024 * 1024;

    private readonly LogCleanerConfig _config;
    private readonly OffsetCheckpointFile _checkpointFile;
    private readonly Dictionary<TopicPartition, long> _checkpoints;
    private readonly HashSet<TopicPartition> _uncleanable = [];
    private readonly Lock _passLock = new();
    private OffsetMap? _map;

    public LogCleaner(string logDirPath, LogCleanerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        _checkpointFile = new OffsetCheckpointFile(Path.Combine(logDirPath, CheckpointFileName));
        _checkpoints = new Dictionary<TopicPartition, long>(_checkpointFile.Read());
    }

    /// <summary>The cleaner checkpoint of a partition (null before its first pass).</summary>
    public long? FirstDirtyOffset(TopicPartition id)
    {
        lock (_passLock)
        {
            return _checkpoints.TryGetValue(id, out long offset) ? offset : null;
        }
    }

    /// <summary>Forgets a deleted partition (its checkpoint must not apply to a new log of the same name).</summary>
    public void Forget(TopicPartition id)
    {
        lock (_passLock)
        {
            _uncleanable.Remove(id);
            if (_checkpoints.Remove(id))
            {
                _checkpointFile.Write(_checkpoints);
            }
        }
    }

    /// <summary>
    /// One compaction pass over <paramref name="log"/> if it is due (or <paramref name="force"/>d),
    /// never past <paramref name="highWatermark"/>. Corruption or an I/O error marks the log
    /// uncleanable instead of throwing: one bad partition must not stop the others.
    /// </summary>
    public CleanResult Clean(PartitionLog log, long nowMs, long highWatermark, bool force = false)
    {
        ArgumentNullException.ThrowIfNull(log);
        lock (_passLock)
        {
            TopicPartition id = log.TopicPartition;
            if (!_config.Enable || (log.Config.CleanupPolicy & CleanupPolicy.Compact) == 0)
            {
                return CleanResult.Of(CleanStatus.NotCompacted, -1);
            }

            if (_uncleanable.Contains(id))
            {
                return CleanResult.Of(CleanStatus.Uncleanable, -1);
            }

            try
            {
                return CleanLocked(log, nowMs, highWatermark, force);
            }
            catch (Exception e) when (e is StorageException or IOException or ProtocolException or UnauthorizedAccessException)
            {
                // Kafka marks such a partition uncleanable and carries on with the rest.
                _uncleanable.Add(id);
                DeleteLeftover(log);
                return new CleanResult(CleanStatus.Uncleanable, 0, 0, 0, 0, -1, e.Message);
            }
        }
    }

    private CleanResult CleanLocked(PartitionLog log, long nowMs, long highWatermark, bool force)
    {
        TopicPartition id = log.TopicPartition;
        LogConfig config = log.Config;
        LogSegment[] segments = log.SegmentArray;
        long logStart = log.LogStartOffset;
        long logEnd = log.LogEndOffset;
        long firstDirty = _checkpoints.TryGetValue(id, out long checkpoint) ? checkpoint : logStart;
        if (firstDirty < logStart || firstDirty > logEnd)
        {
            // Below the start: retention removed it. Past the end: the log was truncated under it.
            firstDirty = logStart;
        }

        int first = 0;
        while (first < segments.Length - 1 && segments[first + 1].BaseOffset <= logStart)
        {
            first++;
        }

        // Sealed segments, wholly below the high watermark, and (if dirty) older than the compaction lag.
        int uncleanable = first;
        while (uncleanable < segments.Length - 1)
        {
            long upper = segments[uncleanable + 1].BaseOffset;
            if (upper > highWatermark)
            {
                break;
            }

            if (upper > firstDirty && config.MinCompactionLagMs > 0
                && segments[uncleanable].GetMaxTimestamp().Timestamp > nowMs - config.MinCompactionLagMs)
            {
                break;
            }

            uncleanable++;
        }

        if (uncleanable == first)
        {
            return CleanResult.Of(CleanStatus.NothingToClean, firstDirty);
        }

        long firstUncleanable = segments[uncleanable].BaseOffset;
        int count = uncleanable - first;
        long[] clocks = new long[count];
        long cleanBytes = 0;
        long dirtyBytes = 0;
        bool tombstonesDue = false;
        for (int i = 0; i < count; i++)
        {
            LogSegment segment = segments[first + i];
            if (segments[first + i + 1].BaseOffset <= firstDirty)
            {
                cleanBytes += segment.Size;
                DateTime modified = File.GetLastWriteTimeUtc(segment.LogPath);
                clocks[i] = modified <= DateTime.UnixEpoch ? NoWaitingTombstones : new DateTimeOffset(modified).ToUnixTimeMilliseconds();
                tombstonesDue |= clocks[i] != NoWaitingTombstones && clocks[i] + config.DeleteRetentionMs <= nowMs;
            }
            else
            {
                dirtyBytes += segment.Size;
                clocks[i] = Dirty;
            }
        }

        bool dirtEnough = dirtyBytes > 0 && dirtyBytes >= config.MinCleanableDirtyRatio * (cleanBytes + dirtyBytes);
        if (!force && !dirtEnough && !tombstonesDue)
        {
            return CleanResult.Of(CleanStatus.NothingToClean, firstDirty);
        }

        // Build the map from the dirty part, as far as it fits.
        OffsetMap map = RentMap(firstUncleanable - Math.Min(firstDirty, firstUncleanable));
        long endOffset = firstUncleanable;
        for (int i = 0; i < count && endOffset == firstUncleanable; i++)
        {
            if (clocks[i] == Dirty && !AddToMap(segments[first + i], map, firstDirty, ref endOffset))
            {
                return CleanResult.Of(CleanStatus.Aborted, firstDirty);
            }
        }

        if (endOffset <= firstDirty && firstDirty < firstUncleanable)
        {
            return CleanResult.Of(CleanStatus.MapTooSmall, firstDirty);
        }

        // Every segment holding offsets below endOffset is rewritten.
        int end = first;
        while (end < uncleanable && segments[end].BaseOffset < endOffset)
        {
            end++;
        }

        Dictionary<long, long>? lastBatchOfProducer = LastBatchOfEachProducer(segments.AsSpan(first));
        using var pass = new Pass(log, map, lastBatchOfProducer, nowMs, config.DeleteRetentionMs);
        for (int start = first; start < end;)
        {
            int stop = start + 1;
            long groupBytes = segments[start].Size;
            long groupClock = WaitingClock(clocks[start - first], nowMs, config.DeleteRetentionMs);
            while (stop < end)
            {
                long clock = WaitingClock(clocks[stop - first], nowMs, config.DeleteRetentionMs);
                bool fits = groupBytes + segments[stop].Size <= config.SegmentBytes
                    && segments[stop + 1].BaseOffset - 1 - segments[start].BaseOffset <= int.MaxValue;
                if (!fits || (clock != NoWaitingTombstones && groupClock != NoWaitingTombstones && clock != groupClock))
                {
                    break;
                }

                groupBytes += segments[stop].Size;
                groupClock = groupClock == NoWaitingTombstones ? clock : groupClock;
                stop++;
            }

            if (!pass.CleanGroup(segments.AsSpan(start, stop - start), clocks.AsSpan(start - first, stop - start), groupClock))
            {
                return CleanResult.Of(CleanStatus.Aborted, firstDirty);
            }

            start = stop;
        }

        _checkpoints[id] = Math.Max(endOffset, firstDirty);
        _checkpointFile.Write(_checkpoints);
        return new CleanResult(CleanStatus.Cleaned, end - first, pass.BytesBefore, pass.BytesAfter, pass.RecordsRemoved, Math.Max(endOffset, firstDirty));
    }

    /// <summary>The clock of tombstones a segment may still have to keep: the pass time for dirty ones, its own clock while unexpired, else none.</summary>
    private static long WaitingClock(long clock, long nowMs, long deleteRetentionMs) =>
        clock == Dirty ? nowMs
        : clock != NoWaitingTombstones && clock + deleteRetentionMs > nowMs ? clock
        : NoWaitingTombstones;

    /// <summary>A cleared map sized for at most <paramref name="offsetRange"/> keys within the dedupe buffer; reused across passes.</summary>
    private OffsetMap RentMap(long offsetRange)
    {
        long maxSlots = _config.DedupeBufferSize / OffsetMap.BytesPerEntry;
        int slots = (int)Math.Clamp((offsetRange * 10 / 9) + 1, 1, maxSlots);
        if (_map is null || _map.Slots < slots)
        {
            _map = null;
            _map = new OffsetMap(slots);
        }
        else
        {
            _map.Clear();
        }

        return _map;
    }

    /// <summary>
    /// Puts the keys of a dirty segment's records at or above <paramref name="firstDirty"/> into
    /// the map, stopping before the first batch that would overfill it (and setting
    /// <paramref name="endOffset"/> there). False when the segment is gone.
    /// </summary>
    private static bool AddToMap(LogSegment segment, OffsetMap map, long firstDirty, ref long endOffset)
    {
        using SegmentBatchReader? reader = SegmentBatchReader.Open(segment);
        if (reader is null)
        {
            return false;
        }

        using var decompressed = new PooledBufferWriter();
        while (reader.TryNext(out ReadOnlyMemory<byte> batch))
        {
            var header = new RecordBatchHeader(batch.Span);
            if (header.LastOffset < firstDirty || header.IsControlBatch || header.IsTransactional)
            {
                continue;
            }

            if (map.Count + header.RecordCount > map.MaxEntries)
            {
                endOffset = Math.Max(header.BaseOffset, firstDirty);
                return true;
            }

            long baseOffset = header.BaseOffset;
            RecordEnumerator records = RecordBatch.GetRecords(batch, decompressed, MaxDecompressedBytes);
            while (records.MoveNext())
            {
                Record record = records.Current;
                long offset = record.GetOffset(baseOffset);
                if (!record.IsKeyNull && offset >= firstDirty)
                {
                    map.Put(record.Key, offset);
                }
            }
        }

        return true;
    }

    /// <summary>The last offset of each producer id's newest batch from the log start to the log end (header scan only).</summary>
    private static Dictionary<long, long>? LastBatchOfEachProducer(ReadOnlySpan<LogSegment> segments)
    {
        Dictionary<long, long>? last = null;
        Span<byte> buffer = stackalloc byte[LogSegment.ScanBufferSize];
        foreach (LogSegment segment in segments)
        {
            SafeFileHandle? handle = segment.AcquireHandle();
            if (handle is null)
            {
                continue;
            }

            try
            {
                var scanner = new BatchHeaderScanner(handle, buffer, 0, segment.Size);
                while (scanner.TryNext(out BatchHeaderInfo batch))
                {
                    long producerId = new RecordBatchHeader(scanner.CurrentHeader).ProducerId;
                    if (producerId >= 0)
                    {
                        last ??= [];
                        last[producerId] = batch.LastOffset;
                    }
                }
            }
            finally
            {
                handle.DangerousRelease();
            }
        }

        return last;
    }

    private static void DeleteLeftover(PartitionLog log)
    {
        foreach (string path in Directory.GetFiles(log.Directory, "*" + LogFileNames.CleanedSuffix))
        {
            File.Delete(path);
        }
    }

    /// <summary>The state of rewriting one log's groups in one pass.</summary>
    private sealed class Pass(PartitionLog log, OffsetMap map, Dictionary<long, long>? lastBatchOfProducer, long nowMs, long deleteRetentionMs) : IDisposable
    {
        private readonly PooledBufferWriter _decompressed = new();
        private readonly PooledBufferWriter _output = new(WriteChunkBytes + (64 * 1024));
        private bool[] _keep = new bool[64];

        public long BytesBefore { get; private set; }

        public long BytesAfter { get; private set; }

        public long RecordsRemoved { get; private set; }

        /// <summary>
        /// Rewrites one group into <c>&lt;base&gt;.log.cleaned</c> and swaps it in. A single
        /// segment that loses nothing stays as it is (only its tombstone clock is updated).
        /// False when the log changed under the pass.
        /// </summary>
        public bool CleanGroup(ReadOnlySpan<LogSegment> sources, ReadOnlySpan<long> clocks, long groupClock)
        {
            string cleanedPath = LogFileNames.LogPath(log.Directory, sources[0].BaseOffset) + LogFileNames.CleanedSuffix;
            bool changed = false;
            bool waitingTombstones = false;
            long written = 0;
            try
            {
                using (SafeFileHandle file = File.OpenHandle(cleanedPath, FileMode.Create, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
                {
                    for (int s = 0; s < sources.Length; s++)
                    {
                        BytesBefore += sources[s].Size;
                        bool tombstonesExpire = clocks[s] != Dirty && clocks[s] + deleteRetentionMs <= nowMs;
                        using SegmentBatchReader? reader = SegmentBatchReader.Open(sources[s]);
                        if (reader is null)
                        {
                            return Abandon(cleanedPath);
                        }

                        while (reader.TryNext(out ReadOnlyMemory<byte> batch))
                        {
                            (bool batchChanged, bool keptWaiting) = Filter(batch, tombstonesExpire);
                            changed |= batchChanged;
                            waitingTombstones |= keptWaiting;
                            if (_output.WrittenCount >= WriteChunkBytes)
                            {
                                written += Drain(file, written);
                            }
                        }
                    }

                    written += Drain(file, written);
                    if (!changed && sources.Length == 1)
                    {
                        file.Dispose();
                        File.Delete(cleanedPath);
                        BytesAfter += sources[0].Size;
                        SetClock(sources[0].LogPath, waitingTombstones ? groupClock : NoWaitingTombstones);
                        return true;
                    }

                    File.SetLastWriteTimeUtc(file, ClockTime(waitingTombstones ? groupClock : NoWaitingTombstones));
                    RandomAccess.FlushToDisk(file);
                }

                BytesAfter += written;
                return log.ReplaceSegments(sources, cleanedPath);
            }
            catch
            {
                File.Delete(cleanedPath);
                throw;
            }
        }

        /// <summary>
        /// Writes what survives of one batch to the output. Returns whether anything was dropped,
        /// and whether a tombstone that must wait for delete.retention.ms was kept.
        /// </summary>
        private (bool Changed, bool KeptWaitingTombstone) Filter(ReadOnlyMemory<byte> batch, bool tombstonesExpire)
        {
            var header = new RecordBatchHeader(batch.Span);
            long baseOffset = header.BaseOffset;
            int recordCount = header.RecordCount;
            bool keepWhole = header.IsControlBatch
                || header.IsTransactional
                || (header.ProducerId >= 0 && lastBatchOfProducer is not null
                    && lastBatchOfProducer.TryGetValue(header.ProducerId, out long lastOffset) && lastOffset == header.LastOffset);
            if (header.IsControlBatch)
            {
                Copy(batch.Span);
                return (false, false);
            }

            if (_keep.Length < recordCount)
            {
                _keep = new bool[Math.Max(recordCount, _keep.Length * 2)];
            }

            RecordEnumerator records = RecordBatch.GetRecords(batch, _decompressed, MaxDecompressedBytes);
            int kept = 0;
            bool keptTombstone = false;
            for (int i = 0; records.MoveNext(); i++)
            {
                Record record = records.Current;
                bool keep = keepWhole || Survives(record, record.GetOffset(baseOffset), tombstonesExpire);
                _keep[i] = keep;
                kept += keep ? 1 : 0;
                keptTombstone |= keep && record.IsValueNull;
            }

            bool keptWaiting = keptTombstone && !tombstonesExpire;
            if (kept == recordCount)
            {
                Copy(batch.Span);
                return (false, keptWaiting);
            }

            RecordsRemoved += recordCount - kept;
            if (kept == 0)
            {
                return (true, false);
            }

            // Rebuilt with the surviving records at their own offsets, the original codec and header fields.
            ReadOnlySpan<byte> recordBytes = header.CompressionType == CompressionType.None
                ? batch.Span[RecordBatch.HeaderSize..]
                : _decompressed.WrittenSpan;
            using var builder = new RecordBatchBuilder(_output, header.CompressionType, baseOffset)
            {
                PartitionLeaderEpoch = header.PartitionLeaderEpoch,
                ProducerId = header.ProducerId,
                ProducerEpoch = header.ProducerEpoch,
                BaseSequence = header.BaseSequence,
                IsTransactional = header.IsTransactional,
                TimestampType = header.TimestampType,
                LogAppendTime = header.TimestampType == TimestampType.LogAppendTime ? header.MaxTimestamp : -1,
            };
            var again = new RecordEnumerator(recordBytes, recordCount);
            for (int i = 0; again.MoveNext(); i++)
            {
                if (_keep[i])
                {
                    Record record = again.Current;
                    builder.AppendRecord(record.GetOffset(baseOffset), record.GetTimestamp(header.BaseTimestamp), record);
                }
            }

            builder.Complete();
            return (true, keptWaiting);
        }

        public void Dispose()
        {
            _decompressed.Dispose();
            _output.Dispose();
        }

        private bool Survives(in Record record, long offset, bool tombstonesExpire)
        {
            if (record.IsKeyNull)
            {
                return false;
            }

            long latest = map.Get(record.Key);
            if (latest > offset)
            {
                return false;
            }

            return !(record.IsValueNull && tombstonesExpire);
        }

        private void Copy(ReadOnlySpan<byte> batch)
        {
            batch.CopyTo(_output.GetSpan(batch.Length));
            _output.Advance(batch.Length);
        }

        private int Drain(SafeFileHandle file, long position)
        {
            int count = _output.WrittenCount;
            RandomAccess.Write(file, _output.WrittenSpan, position);
            _output.Clear();
            return count;
        }

        private static bool Abandon(string cleanedPath)
        {
            File.Delete(cleanedPath);
            return false;
        }

        private static void SetClock(string path, long clock)
        {
            try
            {
                File.SetLastWriteTimeUtc(path, ClockTime(clock));
            }
            catch (FileNotFoundException)
            {
                // Removed since (retention): nothing left to time.
            }
        }

        private static DateTime ClockTime(long clock) => DateTimeOffset.FromUnixTimeMilliseconds(clock).UtcDateTime;
    }
}
