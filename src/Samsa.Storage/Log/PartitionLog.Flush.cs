using Samsa.Storage.Checkpoints;

namespace Samsa.Storage.Log;

public sealed partial class PartitionLog
{
    // The background flush a roll asked for: up to which offset, and whether it is queued and not
    // yet started (so a log is queued at most once; a later roll only raises the target).
    private long _rollFlushTarget;
    private int _rollFlushQueued;

    // The active segment at the start of the last flush whose directory fsync completed: its files
    // existed before that fsync, so their names are durable and its own later flushes need none.
    // A segment object, not an offset: truncation and replacement create new objects (new files).
    // Read and written under _flushLock only.
    private LogSegment? _activeWhenDirectorySynced;

    /// <summary>
    /// Test seam: called with the path of a segment's .log, a producer snapshot or the partition
    /// dir just before its fsync (a slow disk, say).
    /// </summary>
    internal Action<string>? FsyncStarting { get; set; }

    /// <summary>fsyncs everything up to the log end and advances the recovery point.</summary>
    public void Flush() => FlushUpTo(LogEndOffset);

    /// <summary>
    /// fsyncs the segments holding offsets in [recovery point, <paramref name="offset"/>), the
    /// indexes and roll-time producer snapshots of the sealed ones, and the directory when it has
    /// new entries, then moves the recovery point. The fsyncs run under the flush
    /// lock only: appends continue, and a flusher that waited finds its offsets covered by the
    /// flush before it (group commit). The active segment's index is not synced here; it may lag
    /// on disk and load completes it from the log. An offline log is not flushed: after a failed
    /// fsync Linux may report the next one as a success although the pages were dropped, so its
    /// recovery point never moves again.
    /// </summary>
    /// <param name="offset">Flush below this offset (capped at the log end).</param>
    /// <param name="restartFlushClock">
    /// Whether this flush restarts the flush.ms clock: every flush the log's own policy or a caller
    /// asks for does (appends landing between the caller's choice of <paramref name="offset"/> and
    /// the flush must not make the next append flush again); a roll's background flush of the
    /// sealed segment does not, as it runs at no fixed time and leaves the active segment unflushed.
    /// </param>
    public void FlushUpTo(long offset, bool restartFlushClock = true)
    {
        lock (_flushLock)
        {
            long target;
            long recoveryPoint;
            LogSegment[] segments;
            LogSegment active;
            lock (_lock)
            {
                // Offline: a flush queued before the log went offline (a roll's) must not claim anything.
                if (_closed || IsOffline)
                {
                    return;
                }

                target = Math.Min(offset, _logEndOffset);
                recoveryPoint = _recoveryPoint;
                if (target <= recoveryPoint)
                {
                    return;
                }

                segments = _segments;
                active = _activeSegment;
            }

            long durable = target;
            bool newEntries = false;
            for (int i = 0; i < segments.Length; i++)
            {
                bool after = i == segments.Length - 1 || segments[i + 1].BaseOffset > recoveryPoint;
                if (after && segments[i].BaseOffset < target)
                {
                    bool indexesSaved;
                    try
                    {
                        FsyncStarting?.Invoke(segments[i].LogPath);
                        segments[i].FlushLog();
                        indexesSaved = segments[i] == active || segments[i].SaveIndexes(fsync: true);

                        // The snapshot the roll that sealed this segment wrote (at the next base).
                        newEntries |= i + 1 < segments.Length && SyncProducerSnapshot(segments[i + 1].BaseOffset);
                        // Its files are new names until a directory fsync after their creation. For
                        // the active segment that was active at the last one, that fsync covered them
                        // (a sealed segment has new index files, so it still counts).
                        bool namesSynced = segments[i] == active && active == _activeWhenDirectorySynced;
                        newEntries |= segments[i].BaseOffset >= recoveryPoint && !namesSynced;
                    }
                    catch (Exception e) when (IsIoFailure(e))
                    {
                        // After a failed fsync the kernel may have dropped the dirty pages: nothing
                        // says what is on disk any more (Kafka halts the log dir for this too).
                        throw TakeOffline($"fsync of {segments[i].LogPath} failed", e);
                    }

                    if (!indexesSaved && segments[i].BaseOffset < durable)
                    {
                        // Its index files lag (full disk): keep the segment above the recovery
                        // point so a crash recovery rebuilds them.
                        durable = segments[i].BaseOffset;
                    }
                }
            }

            if (newEntries)
            {
                // A segment or snapshot created since the last flush is a new name in the directory:
                // without this a power loss may drop the entry of a file whose data was synced
                // (Kafka's LocalLog.flush syncs the directory for new segments too).
                try
                {
                    SyncDirectory(active);
                }
                catch (Exception e) when (IsIoFailure(e))
                {
                    throw TakeOffline($"fsync of directory {_dir} failed", e);
                }
            }

            lock (_lock)
            {
                // Gone offline during the fsyncs (an append's or a read's I/O error): nothing is claimed.
                if (!IsOffline)
                {
                    Volatile.Write(ref _recoveryPoint, Math.Max(_recoveryPoint, Math.Min(durable, _logEndOffset)));
                }

                if (restartFlushClock)
                {
                    Volatile.Write(ref _lastFlushMs, NowMs);
                }
            }
        }
    }

    /// <summary>
    /// fsyncs the partition directory: every name in it is durable after, <paramref name="active"/>'s
    /// files among them, so its later flushes need no directory fsync. Under _flushLock.
    /// </summary>
    private void SyncDirectory(LogSegment active)
    {
        FsyncStarting?.Invoke(_dir);
        DirectorySync.Flush(_dir);
        _activeWhenDirectorySynced = active;
    }

    /// <summary>
    /// Asks the flusher to fsync everything below <paramref name="offset"/> (the base of the
    /// segment a roll just created). Cheap and non-blocking: called under _lock.
    /// </summary>
    private void RequestRollFlush(long offset)
    {
        long current = Volatile.Read(ref _rollFlushTarget);
        while (current < offset)
        {
            long seen = Interlocked.CompareExchange(ref _rollFlushTarget, offset, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        if (Interlocked.Exchange(ref _rollFlushQueued, 1) == 0 && !_flusher.Schedule(this))
        {
            // The flusher is shut down (the log dir is closing): the log's close flushes instead.
            Volatile.Write(ref _rollFlushQueued, 0);
        }
    }

    /// <summary>
    /// The flusher's work for this log: <see cref="FlushUpTo"/> the latest roll target. A failure
    /// has taken the log offline (and said so through <see cref="WentOffline"/>); it never
    /// escapes into the flusher, which goes on with the other logs.
    /// </summary>
    internal void RunRollFlush()
    {
        // Cleared before the target is read: a roll after this line queues the log again. A full
        // fence (not a volatile write, which a later read may pass on x86): else a roll could
        // raise the target, see the log still queued, and its request be lost.
        Interlocked.Exchange(ref _rollFlushQueued, 0);
        long target = Volatile.Read(ref _rollFlushTarget);
        try
        {
            FlushUpTo(target, restartFlushClock: false);
        }
        catch (Exception e)
        {
            // Whatever it was (an I/O error; a bug would be one too many), the segment's
            // durability is unknown: the log cannot go on claiming it, nor the flusher stop.
            TakeOffline("flush after roll failed", e);
        }
    }
}
