using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;
using Samsa.Storage.Producers;

namespace Samsa.Storage.Log;

/// <summary>
/// The idempotent producer state of the log (Kafka's ProducerStateManager for one partition):
/// checked under the append lock before a leader append assigns offsets, updated after every
/// append (leader or follower), snapshotted to <c>&lt;offset&gt;.snapshot</c> at each roll and at
/// clean close, and rebuilt on open and after truncation from the newest usable snapshot at or
/// below the log end plus the batch headers after it.
/// </summary>
public sealed partial class PartitionLog
{
    // Guarded by _lock like the segment list.
    private readonly ProducerStateTable _producers = new();

    // The offset of a snapshot known to be on disk durably and to describe the state there: one
    // fsynced at a clean close, or found at the log end after one. -1 when there is none. A clean
    // close with nothing appended since writes no new one (Kafka's takeSnapshot skips an unchanged
    // offset too): with thousands of idle partitions those writes, each an fsync of the file and of
    // its directory, made a shutdown take seconds (bench/fuzz.sh, 2026-11-27).
    private long _durableSnapshotOffset = -1;

    /// <summary>
    /// Checks each idempotent batch of a leader append: against an earlier batch of the same
    /// producer in this append if there is one, else against the recorded state. The first batch
    /// that is not a plain append decides the outcome, as in Kafka. Under _lock.
    /// </summary>
    private ProducerCheckResult CheckProducers(ReadOnlySpan<byte> records)
    {
        for (int p = 0; p < records.Length;)
        {
            var header = new RecordBatchHeader(records[p..]);
            long producerId = header.ProducerId;
            if (producerId >= 0 && header.BaseSequence >= 0 && !header.IsControlBatch)
            {
                int firstSequence = header.BaseSequence;
                ProducerCheckResult result = TryFindEarlierBatch(records, p, producerId, out short earlierEpoch, out int earlierLastSequence)
                    ? ProducerStateTable.CheckFollowing(earlierEpoch, earlierLastSequence, header.ProducerEpoch, firstSequence)
                    : _producers.Check(producerId, header.ProducerEpoch, firstSequence, ProducerSequence.Increment(firstSequence, header.LastOffsetDelta));
                if (result.Outcome != ProducerAppendCheck.Append)
                {
                    return result;
                }
            }

            p += (int)header.SizeInBytes;
        }

        return ProducerCheckResult.Append;
    }

    /// <summary>The last batch of <paramref name="producerId"/> before position <paramref name="end"/> of this append, if any.</summary>
    private static bool TryFindEarlierBatch(ReadOnlySpan<byte> records, int end, long producerId, out short epoch, out int lastSequence)
    {
        epoch = -1;
        lastSequence = -1;
        bool found = false;
        for (int p = 0; p < end;)
        {
            var header = new RecordBatchHeader(records[p..]);
            if (header.ProducerId == producerId && header.BaseSequence >= 0 && !header.IsControlBatch)
            {
                epoch = header.ProducerEpoch;
                lastSequence = ProducerSequence.Increment(header.BaseSequence, header.LastOffsetDelta);
                found = true;
            }

            p += (int)header.SizeInBytes;
        }

        return found;
    }

    /// <summary>The answer to a leader append the producer state refused or recognised as a retry. Under _lock.</summary>
    private LogAppendInfo ProducerOutcome(ProducerCheckResult check, bool logAppendTime) => check.Outcome switch
    {
        // Nothing is appended: the original batch's offsets go back, so acks=all waits for them.
        ProducerAppendCheck.Duplicate => new LogAppendInfo(
            LogAppendStatus.DuplicateSequence,
            check.FirstOffset,
            check.LastOffset,
            check.Timestamp,
            check.LastOffset,
            0,
            logAppendTime ? check.Timestamp : -1,
            _logStartOffset),
        ProducerAppendCheck.InvalidProducerEpoch => LogAppendInfo.Failed(LogAppendStatus.InvalidProducerEpoch, _logStartOffset),
        _ => LogAppendInfo.Failed(LogAppendStatus.OutOfOrderSequence, _logStartOffset),
    };

    /// <summary>Records the producer batches of an append that is now in the log (offsets assigned). Under _lock.</summary>
    private void UpdateProducers(ReadOnlySpan<byte> records)
    {
        for (int p = 0; p < records.Length;)
        {
            var header = new RecordBatchHeader(records[p..]);
            ApplyToProducers(_producers, header);
            p += (int)header.SizeInBytes;
        }
    }

    private static void ApplyToProducers(ProducerStateTable producers, RecordBatchHeader header)
    {
        long producerId = header.ProducerId;
        if (producerId < 0)
        {
            return;
        }

        if (header.IsControlBatch)
        {
            producers.UpdateEpoch(producerId, header.ProducerEpoch, header.MaxTimestamp);
        }
        else if (header.BaseSequence >= 0)
        {
            producers.Update(
                producerId,
                header.ProducerEpoch,
                header.BaseSequence,
                ProducerSequence.Increment(header.BaseSequence, header.LastOffsetDelta),
                header.BaseOffset,
                header.LastOffset,
                header.MaxTimestamp);
        }
    }

    /// <summary>
    /// Writes the state of everything below <paramref name="offset"/> as a snapshot. At a roll it
    /// is not fsynced here, on the appending thread: the background flush of the sealed segment
    /// syncs it (<see cref="SyncProducerSnapshot"/>) before the recovery point passes that
    /// segment, and a snapshot torn by a crash before then fails its CRC and an older one plus
    /// replay takes its place. At clean close it is fsynced at once. Under _lock.
    /// </summary>
    private void TakeProducerSnapshot(long offset, bool fsync)
    {
        try
        {
            if (offset == _durableSnapshotOffset)
            {
                _durableSnapshotOffset = -1; // replaced below; durable again only if fsynced
            }

            ProducerSnapshotFile.Write(_dir, offset, _producers, fsync);
            if (fsync)
            {
                _durableSnapshotOffset = offset;
            }
        }
        catch (IOException e)
        {
            throw new StorageException($"Partition {TopicPartition}: failed to write the producer snapshot at offset {offset}: {e.Message}", e);
        }
    }

    /// <summary>
    /// fsyncs the snapshot a roll wrote unsynced at <paramref name="offset"/>, from the flush of
    /// the segment that roll sealed (Kafka's "flush-log" task syncs the roll's snapshot with the
    /// segment, UnifiedLog.flushProducerStateSnapshot): once the recovery point passes the segment
    /// and retention deletes older snapshots, a snapshot lost in a crash would lose the state of
    /// producers whose batches are gone, and with it their duplicate detection. False when there
    /// is none (a full disk refused it at the roll). Under the flush lock, which truncation and
    /// retention take before they delete snapshots; an I/O error propagates.
    /// </summary>
    private bool SyncProducerSnapshot(long offset)
    {
        string path = ProducerSnapshotFile.PathFor(_dir, offset);
        if (!File.Exists(path))
        {
            return false;
        }

        FsyncStarting?.Invoke(path);
        // ReadWrite: Windows' FlushFileBuffers needs write access (Linux syncs a read-only fd too).
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        RandomAccess.FlushToDisk(handle);
        return true;
    }

    /// <summary>
    /// Rebuilds the producer state for a log ending at <paramref name="logEnd"/>: snapshots above
    /// it are deleted (truncated or torn-off data), the newest snapshot that loads is used (corrupt
    /// ones are deleted, as Kafka does), and the batches from its offset up to the log end are
    /// replayed from their headers. Without a snapshot the whole log is replayed. Under _lock (or
    /// during open, before anyone else has the log).
    /// </summary>
    /// <returns>The offset of the snapshot used, or -1 when the whole log was replayed.</returns>
    private long LoadProducerState(long logEnd)
    {
        _producers.Clear();
        _durableSnapshotOffset = -1;
        List<long> snapshots = ProducerSnapshotFile.ListOffsets(_dir);
        long replayFrom = -1;
        for (int i = snapshots.Count - 1; i >= 0; i--)
        {
            string path = ProducerSnapshotFile.PathFor(_dir, snapshots[i]);
            if (snapshots[i] > logEnd || !ProducerSnapshotFile.TryLoad(path, _producers))
            {
                _producers.Clear();
                File.Delete(path);
                continue;
            }

            replayFrom = snapshots[i];
            break;
        }

        RemoveStraySnapshots(snapshots, replayFrom);
        ReplayProducers(Math.Max(replayFrom, 0), logEnd);
        return replayFrom;
    }

    /// <summary>
    /// The snapshot a clean close takes at the log end, unless one known to be durable is there
    /// already or the log is empty (nothing to replay at the next load). Under _lock.
    /// </summary>
    private void TakeCloseSnapshot()
    {
        if (_logEndOffset != _durableSnapshotOffset && (_logEndOffset > _logStartOffset || _producers.Count > 0))
        {
            TakeProducerSnapshot(_logEndOffset, fsync: true);
        }
    }

    /// <summary>
    /// Kafka keeps a snapshot per segment base plus the newest one: older close-time snapshots in
    /// the middle of a segment would otherwise pile up, one per restart.
    /// </summary>
    private void RemoveStraySnapshots(List<long> snapshots, long keep)
    {
        LogSegment[] segments = _segments;
        foreach (long snapshot in snapshots)
        {
            if (snapshot < keep && segments[FindSegmentIndex(segments, snapshot)].BaseOffset != snapshot)
            {
                File.Delete(ProducerSnapshotFile.PathFor(_dir, snapshot));
            }
        }
    }

    /// <summary>Applies the headers of the batches in [<paramref name="from"/>, <paramref name="to"/>) to the producer state.</summary>
    private void ReplayProducers(long from, long to)
    {
        LogSegment[] segments = _segments;
        Span<byte> buffer = stackalloc byte[LogSegment.ScanBufferSize];
        for (int i = FindSegmentIndex(segments, from); i < segments.Length; i++)
        {
            LogSegment segment = segments[i];
            if (segment.BaseOffset >= to)
            {
                break;
            }

            bool wasOpen = segment.HasOpenHandle;
            SafeFileHandle handle = segment.AcquireHandle() ?? throw new StorageException($"Segment {segment.LogPath} cannot be opened.");
            try
            {
                int end = segment.Size;
                int start = segment.BaseOffset >= from ? 0 : segment.FindBatchStart(handle, from, end, out _);
                if (start < 0)
                {
                    throw new StorageException($"Segment {segment.LogPath} has an unreadable batch header before offset {from}.");
                }

                var scanner = new BatchHeaderScanner(handle, buffer, start, end);
                while (scanner.TryNext(out BatchHeaderInfo batch))
                {
                    if (batch.LastOffset >= to)
                    {
                        break;
                    }

                    if (batch.BaseOffset >= from)
                    {
                        ApplyToProducers(_producers, new RecordBatchHeader(scanner.CurrentHeader));
                    }
                }
            }
            finally
            {
                handle.DangerousRelease();
            }

            // A sealed segment read only for the replay goes back to holding nothing (idle footprint).
            if (!wasOpen && segment != _activeSegment)
            {
                segment.ReleaseIdleResources(keepIndexes: false);
            }
        }
    }

    /// <summary>Deletes the snapshots below <paramref name="offset"/> (their segments are gone). Under _lock.</summary>
    private void DeleteProducerSnapshotsBefore(long offset)
    {
        foreach (long snapshot in ProducerSnapshotFile.ListOffsets(_dir))
        {
            if (snapshot < offset)
            {
                File.Delete(ProducerSnapshotFile.PathFor(_dir, snapshot));
            }
        }

        if (_durableSnapshotOffset < offset)
        {
            _durableSnapshotOffset = -1;
        }
    }

    /// <summary>Forgets every producer and deletes every snapshot (the log restarts empty). Under _lock.</summary>
    private void ClearProducerState()
    {
        _producers.Clear();
        DeleteProducerSnapshotsBefore(long.MaxValue);
    }
}
