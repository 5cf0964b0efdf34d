namespace Samsa.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>fsyncs everything up to the log end and advances the recovery point.</summary>
    public void Flush() => FlushUpTo(LogEndOffset);

    /// <summary>
    /// fsyncs the segments holding offsets in [recovery point, <paramref name="offset"/>) and the
    /// indexes of the sealed ones, then moves the recovery point. The fsyncs run under the flush
    /// lock only: appends continue, and a flusher that waited finds its offsets covered by the
    /// flush before it (group commit). The active segment's index is not synced here; it may lag
    /// on disk and load completes it from the log.
    /// </summary>
    public void FlushUpTo(long offset)
    {
        lock (_flushLock)
        {
            long target;
            long recoveryPoint;
            LogSegment[] segments;
            LogSegment active;
            lock (_lock)
            {
                if (_closed)
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
            for (int i = 0; i < segments.Length; i++)
            {
                bool after = i == segments.Length - 1 || segments[i + 1].BaseOffset > recoveryPoint;
                if (after && segments[i].BaseOffset < target)
                {
                    try
                    {
                        segments[i].FlushLog();
                    }
                    catch (Exception e) when (IsIoFailure(e))
                    {
                        // After a failed fsync the kernel may have dropped the dirty pages: nothing
                        // says what is on disk any more (Kafka halts the log dir for this too).
                        throw TakeOffline($"fsync of {segments[i].LogPath} failed", e);
                    }

                    if (segments[i] != active && !segments[i].SaveIndexes(fsync: true) && segments[i].BaseOffset < durable)
                    {
                        // Its index files lag (full disk): keep the segment above the recovery
                        // point so a crash recovery rebuilds them.
                        durable = segments[i].BaseOffset;
                    }
                }
            }

            lock (_lock)
            {
                Volatile.Write(ref _recoveryPoint, Math.Max(_recoveryPoint, Math.Min(durable, _logEndOffset)));
                Volatile.Write(ref _lastFlushMs, NowMs);
            }
        }
    }
}
