namespace Samsa.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Follower truncation: removes everything at and above <paramref name="offset"/>. Later
    /// segments leave the log, the segment holding the offset is cut at the batch holding it, the
    /// log end becomes <paramref name="offset"/> (or the start of that batch, if the offset fell
    /// inside one), and the epoch cache forgets epochs starting at or above it. Returns false when
    /// there was nothing above the offset.
    /// </summary>
    public bool TruncateTo(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_flushLock)
        {
            LogSegment cut;
            lock (_lock)
            {
                ThrowIfClosed();
                if (offset >= _logEndOffset)
                {
                    return false;
                }

                if (offset < _logStartOffset)
                {
                    cut = TruncateFullyAndStartAtLocked(offset);
                }
                else
                {
                    LogSegment[] segments = _segments;
                    int keep = FindSegmentIndex(segments, offset) + 1;
                    cut = segments[keep - 1];
                    if (cut != _activeSegment)
                    {
                        cut.Reactivate();
                    }

                    long? firstRemoved = cut.TruncateTo(offset);
                    long end = Math.Min(offset, firstRemoved ?? offset);
                    Volatile.Write(ref _segments, segments[..keep]);
                    PublishEnd(end, cut, cut.Size);
                    ScheduleDeletion(segments.AsSpan(keep));
                    Volatile.Write(ref _recoveryPoint, Math.Min(_recoveryPoint, end));
                    _epochCache.TruncateFromEnd(end);
                    LoadProducerState(end);
                }
            }

            SyncTruncation(cut);
            return true;
        }
    }

    /// <summary>Empties the log and starts it again at <paramref name="offset"/> (a follower too far behind the leader's log start).</summary>
    public void TruncateFullyAndStartAt(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_flushLock)
        {
            LogSegment created;
            lock (_lock)
            {
                ThrowIfClosed();
                created = TruncateFullyAndStartAtLocked(offset);
            }

            SyncTruncation(created);
        }
    }

    /// <summary>
    /// DeleteRecords: moves the log start to <paramref name="offset"/> (never backwards) and
    /// removes the segments wholly below it, never the active one. The broker checks the offset
    /// against the high watermark; past the log end returns false.
    /// </summary>
    public bool DeleteRecordsBefore(long offset)
    {
        lock (_flushLock)
        {
            lock (_lock)
            {
                ThrowIfClosed();
                if (offset > _logEndOffset)
                {
                    return false;
                }

                if (offset <= _logStartOffset)
                {
                    return true;
                }

                Volatile.Write(ref _logStartOffset, offset);
                LogSegment[] segments = _segments;
                int remove = 0;
                while (remove < segments.Length - 1 && segments[remove + 1].BaseOffset <= offset)
                {
                    remove++;
                }

                RemoveOldest(segments, remove);
                _epochCache.TruncateFromStart(offset);
                return true;
            }
        }
    }

    /// <summary>
    /// Retention (cleanup.policy delete): removes the oldest sealed segments while their newest
    /// timestamp is older than retention.ms or the log stays at least retention.bytes without them,
    /// plus any wholly below the log start. Never the active segment, never one holding offsets at
    /// or above <paramref name="highWatermark"/>. Also deletes the files of removed segments whose
    /// file.delete.delay.ms has passed. Returns how many segments left the log.
    /// </summary>
    public int DeleteOldSegments(long highWatermark)
    {
        lock (_flushLock)
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return 0;
                }

                long now = NowMs;
                LogSegment[] segments = _segments;
                bool byPolicy = (Config.CleanupPolicy & CleanupPolicy.Delete) != 0;
                long excessBytes = Config.RetentionBytes >= 0 ? SizeInBytes - Config.RetentionBytes : -1;
                int remove = 0;
                while (remove < segments.Length - 1)
                {
                    LogSegment segment = segments[remove];
                    long upperBound = segments[remove + 1].BaseOffset;
                    if (upperBound > highWatermark)
                    {
                        break;
                    }

                    bool belowStart = upperBound <= _logStartOffset;
                    bool expired = byPolicy && Config.RetentionMs >= 0 && now - segment.GetMaxTimestamp().Timestamp > Config.RetentionMs;
                    bool oversized = byPolicy && excessBytes >= 0 && excessBytes - segment.Size >= 0;
                    if (!belowStart && !expired && !oversized)
                    {
                        break;
                    }

                    excessBytes -= segment.Size;
                    remove++;
                }

                if (remove > 0)
                {
                    RemoveOldest(segments, remove);
                    if (segments[remove].BaseOffset > _logStartOffset)
                    {
                        Volatile.Write(ref _logStartOffset, segments[remove].BaseOffset);
                        _epochCache.TruncateFromStart(_logStartOffset);
                    }
                }

                DeletePendingSegments(now);
                return remove;
            }
        }
    }

    /// <summary>
    /// Makes a truncation durable before the flush lock is let go, so nothing appended after it,
    /// and no recovery point, can rest on a cut that a power loss may still undo: the cut
    /// segment's new length, then the directory, whose entries the truncation changed (segments
    /// renamed to .deleted, producer snapshots above the cut deleted). Without them a power loss
    /// could bring the removed batches back below a recovery point the checkpoint on disk still
    /// claims (so never validated again), a removed segment under its old name beside the cut one
    /// (overlapping offsets), or a stale producer snapshot. A follower that truncated and fetched
    /// the leader's batches could then hold other data than the leader at the same offsets. Kafka
    /// leaves this to the next flush. The cost: two fsyncs per truncation, which happens when a
    /// follower meets a new leader, under the partition's and its fetcher's locks. Under
    /// _flushLock, not _lock: readers go on meanwhile.
    /// </summary>
    private void SyncTruncation(LogSegment cut)
    {
        string syncing = cut.LogPath;
        try
        {
            FsyncStarting?.Invoke(syncing);
            cut.FlushLog();
            syncing = _dir;
            SyncDirectory(cut);
        }
        catch (Exception e) when (IsIoFailure(e))
        {
            throw TakeOffline($"fsync of {syncing} after truncation failed", e);
        }
    }

    /// <summary>Under _lock; returns the new, empty segment.</summary>
    private LogSegment TruncateFullyAndStartAtLocked(long offset)
    {
        LogSegment[] segments = _segments;

        // Renamed before the new segment is created: it may reuse a base offset already on disk.
        ScheduleDeletion(segments);
        LogSegment created = LogSegment.CreateNew(_dir, offset, Config);
        Volatile.Write(ref _segments, [created]);
        Volatile.Write(ref _logStartOffset, offset);
        PublishEnd(offset, created, 0);
        Volatile.Write(ref _recoveryPoint, offset);
        _epochCache.Clear();
        ClearProducerState();
        return created;
    }

    private void RemoveOldest(LogSegment[] segments, int count)
    {
        if (count == 0)
        {
            return;
        }

        Volatile.Write(ref _segments, segments[count..]);
        ScheduleDeletion(segments.AsSpan(0, count));

        // Producers stay known (Kafka keeps them until they expire); only their old snapshots go.
        DeleteProducerSnapshotsBefore(segments[count].BaseOffset);
    }

    /// <summary>
    /// Takes segments out of service: renamed to *.deleted now, files deleted once
    /// file.delete.delay.ms has passed (readers that found them just before may still be reading).
    /// </summary>
    private void ScheduleDeletion(ReadOnlySpan<LogSegment> segments)
    {
        long due = NowMs + Config.FileDeleteDelayMs;
        foreach (LogSegment segment in segments)
        {
            segment.RenameForDeletion();
            if (Config.FileDeleteDelayMs == 0)
            {
                segment.DeleteFiles();
            }
            else
            {
                _pendingDeletions.Add(new PendingDeletion(segment, due));
            }
        }
    }

    /// <summary>Deletes the files of removed segments whose delay ended by <paramref name="nowMs"/>. Under _lock.</summary>
    private void DeletePendingSegments(long nowMs)
    {
        for (int i = _pendingDeletions.Count - 1; i >= 0; i--)
        {
            if (_pendingDeletions[i].DueMs <= nowMs)
            {
                _pendingDeletions[i].Segment.DeleteFiles();
                _pendingDeletions.RemoveAt(i);
            }
        }
    }

    private void ThrowIfClosed()
    {
        // Truncation and deletion of a closed log are broker bugs, not client input.
        ObjectDisposedException.ThrowIf(_closed, this);
    }
}
