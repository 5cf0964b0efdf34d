using Samsa.Storage.Checkpoints;

namespace Samsa.Storage.Log;

/// <summary>
/// One partition's log: a directory of segments named by base offset, appended by one writer at a
/// time and read by many threads at once.
/// <para>
/// Concurrency model.
/// <list type="bullet">
/// <item><c>_lock</c> (the append lock) guards every change of the segment list, the log end
/// offset, the log start offset, the recovery point and the pending deletions: appends, rolls,
/// truncation, DeleteRecords, retention, close and delete. Appends from several request threads
/// serialize on it; the structure checks and CRCs of an append run before it is taken.</item>
/// <item><c>_flushLock</c> serializes fsyncs, which run outside the append lock so producers keep
/// appending while a flush waits on the disk; concurrent flushers queue and the later ones find
/// their data already covered (group commit). Structural changes (truncate, retention, delete,
/// close) take it before the append lock, so a flush never races a segment being cut or removed.
/// Order: <c>_flushLock</c> then <c>_lock</c>, never the reverse. The fsync of a segment sealed by
/// a roll runs on the log dir's <see cref="SegmentFlusher"/>, not on the appending thread; it is a
/// flush like any other and follows the same rules.</item>
/// <item>Readers take no lock. The segment list is an array replaced whole (copy-on-write). The
/// log end offset, the active segment and its committed size are published together under a
/// sequence counter (a seqlock: the writer makes it odd, stores, makes it even; a reader retries
/// when it changed), after the bytes are in the file, so a reader never sees a batch that is not
/// completely written. Reads never go past the committed size of the active segment.</item>
/// <item>Segments leave the log (retention, DeleteRecords, truncation) by being renamed to
/// <c>*.deleted</c> and deleted file.delete.delay.ms later (by the next retention pass, close or
/// delete): a reader that picked the segment a moment ago still reads it. Independently, file
/// handles are leased (SafeHandle reference counts), so closing a handle, even by
/// <see cref="Delete"/>, never breaks a read in flight; reads that start after a close come back
/// empty instead of throwing.</item>
/// </list>
/// </para>
/// </summary>
public sealed partial class PartitionLog
{
    private readonly string _dir;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly Lock _flushLock = new();
    private readonly LeaderEpochCache _epochCache;
    private readonly SegmentFlusher _flusher;
    private readonly List<PendingDeletion> _pendingDeletions = [];
    private LogSegment[] _segments;

    // Published together under _endVersion (seqlock); written only under _lock.
    private int _endVersion;
    private long _logEndOffset;
    private LogSegment _activeSegment;
    private int _activeSize;

    private long _logStartOffset;
    private long _recoveryPoint;
    private long _lastFlushMs;
    private volatile bool _closed;
    private LogConfig _config;

    private PartitionLog(string dir, TopicPartition topicPartition, LogConfig config, TimeProvider time, LeaderEpochCache epochCache, LogSegment[] segments, SegmentFlusher flusher)
    {
        _dir = dir;
        _flusher = flusher;
        TopicPartition = topicPartition;
        _config = config;
        _time = time;
        _epochCache = epochCache;
        _segments = segments;
        _activeSegment = segments[^1];
    }

    public TopicPartition TopicPartition { get; }

    public string Directory => _dir;

    /// <summary>
    /// The settings the log runs with now. Appends, rolls, flushes and retention read it each time,
    /// so a topic config change (<see cref="UpdateConfig"/>) applies from the next call on; a call
    /// already running may finish with the config it started with.
    /// </summary>
    public LogConfig Config => Volatile.Read(ref _config);

    /// <summary>The partition's leader epochs (leader-epoch-checkpoint), kept in step with appends and truncations.</summary>
    public LeaderEpochCache LeaderEpochCache => _epochCache;

    /// <summary>The first offset a consumer may read.</summary>
    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    /// <summary>The offset the next appended record gets; everything below it is completely written.</summary>
    public long LogEndOffset => Volatile.Read(ref _logEndOffset);

    /// <summary>Everything below this offset is on disk (fsynced); recovery after a crash starts here.</summary>
    public long RecoveryPoint => Volatile.Read(ref _recoveryPoint);

    /// <summary>The segments, oldest first (a snapshot for tools and tests; allocates).</summary>
    public IReadOnlyList<LogSegmentInfo> Segments
    {
        get
        {
            LogSegment[] segments = Volatile.Read(ref _segments);
            var infos = new LogSegmentInfo[segments.Length];
            for (int i = 0; i < segments.Length; i++)
            {
                infos[i] = new LogSegmentInfo(segments[i].BaseOffset, segments[i].Size, i == segments.Length - 1);
            }

            return infos;
        }
    }

    /// <summary>Bytes of all segments.</summary>
    public long SizeInBytes
    {
        get
        {
            long total = 0;
            foreach (LogSegment segment in Volatile.Read(ref _segments))
            {
                total += segment.Size;
            }

            return total;
        }
    }

    /// <summary>Heap bytes of loaded indexes and open handles, for the idle-partition figures.</summary>
    internal (int IndexHeapBytes, int OpenHandles) ResourceUsage
    {
        get
        {
            int bytes = 0;
            int handles = 0;
            foreach (LogSegment segment in Volatile.Read(ref _segments))
            {
                bytes += segment.IndexHeapBytes;
                handles += segment.HasOpenHandle ? 1 : 0;
            }

            return (bytes, handles);
        }
    }

    /// <summary>
    /// Swaps in a changed topic config (AlterConfigs) without reopening anything. Existing segments
    /// keep the index capacity they were created with; new segments use the new one.
    /// </summary>
    public void UpdateConfig(LogConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Volatile.Write(ref _config, config);
    }

    /// <summary>
    /// Closes the file handles of every segment and drops the indexes of sealed ones; all of it
    /// reloads on the next use. The broker calls this for partitions nobody touched lately so
    /// thousands of idle partitions hold no handles. Safe with reads in flight.
    /// </summary>
    public void ReleaseIdleResources()
    {
        lock (_lock)
        {
            LogSegment[] segments = _segments;
            for (int i = 0; i < segments.Length; i++)
            {
                segments[i].ReleaseIdleResources(keepIndexes: i == segments.Length - 1);
            }
        }
    }

    /// <summary>
    /// Clean shutdown of this log: fsyncs everything, writes the indexes, closes every handle, and
    /// deletes segments still waiting out their delay. The recovery point becomes the log end.
    /// </summary>
    public void Close()
    {
        lock (_flushLock)
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return;
                }

                long recoveryPoint = _recoveryPoint;
                LogSegment[] segments = _segments;
                try
                {
                    // An offline log is only closed: nothing about its files can be claimed.
                    if (!IsOffline)
                    {
                        bool indexesSaved = true;
                        for (int i = 0; i < segments.Length; i++)
                        {
                            // Only what the recovery point does not cover yet (Kafka's flush at shutdown
                            // skips a log with nothing past it): below it all is synced already, and a
                            // truncation syncs itself.
                            long segmentEnd = i == segments.Length - 1 ? _logEndOffset : segments[i + 1].BaseOffset;
                            if (segmentEnd > recoveryPoint)
                            {
                                FsyncStarting?.Invoke(segments[i].LogPath);
                                segments[i].FlushLog();
                            }

                            indexesSaved &= segments[i].SaveIndexes(fsync: true);
                        }

                        // With index files lagging (full disk) the next start recovers from the old point and rebuilds them.
                        if (indexesSaved)
                        {
                            Volatile.Write(ref _recoveryPoint, _logEndOffset);
                        }

                        try
                        {
                            TakeCloseSnapshot();
                        }
                        catch (StorageException e) when (OutOfSpace.IsCause(e))
                        {
                            // The next load replays the producer state from an older snapshot instead;
                            // but one a roll left at the log end unsynced is synced now (no space
                            // needed), or the next clean load would count it durable.
                            SyncProducerSnapshot(_logEndOffset);
                        }
                    }
                }
                catch (Exception e) when (IsIoFailure(e))
                {
                    throw TakeOffline("close failed", e);
                }
                finally
                {
                    _closed = true;
                    foreach (LogSegment segment in segments)
                    {
                        segment.Close();
                    }

                    DeletePendingSegments(long.MaxValue);
                }
            }
        }
    }

    /// <summary>
    /// Removes the partition: closes every handle first, then deletes the directory. Open handles
    /// cannot make it fail: ours are closed (reads in flight finish on their lease and later ones
    /// come back empty), and files are opened with delete sharing; see <see cref="RemoveDirectory"/>
    /// for what Windows needs.
    /// </summary>
    public void Delete() => DeleteAndFindLeftover(TryDeleteTree);

    /// <summary><see cref="Delete"/>, for the log dir that retries what is left.</summary>
    /// <param name="deleteTree">Removes a directory tree, false when something refused (<see cref="TryDeleteTree"/>; a test's hold).</param>
    /// <returns>
    /// The directory left behind when something under it could not be removed yet (on Windows a
    /// file another process holds open), renamed out of the partition's way; null once all is gone.
    /// </returns>
    internal string? DeleteAndFindLeftover(Func<string, bool> deleteTree)
    {
        lock (_flushLock)
        {
            lock (_lock)
            {
                _closed = true;
                foreach (LogSegment segment in _segments)
                {
                    segment.Close();
                }

                foreach (PendingDeletion pending in _pendingDeletions)
                {
                    pending.Segment.Close();
                }

                _pendingDeletions.Clear();
                return RemoveDirectory(_dir, deleteTree);
            }
        }
    }

    /// <summary>Publishes a new log end with its segment and size so readers see all three or none. Under _lock.</summary>
    private void PublishEnd(long logEndOffset, LogSegment active, int activeSize)
    {
        Interlocked.Increment(ref _endVersion);
        active.PublishSize(activeSize);
        Volatile.Write(ref _logEndOffset, logEndOffset);
        Volatile.Write(ref _activeSegment, active);
        Volatile.Write(ref _activeSize, activeSize);
        Interlocked.Increment(ref _endVersion);
    }

    /// <summary>A consistent (log end, active segment, its committed size), lock-free.</summary>
    private (long LogEndOffset, LogSegment Active, int ActiveSize) ReadEnd()
    {
        var spin = default(SpinWait);
        while (true)
        {
            int version = Volatile.Read(ref _endVersion);
            if ((version & 1) == 0)
            {
                long end = Volatile.Read(ref _logEndOffset);
                LogSegment active = Volatile.Read(ref _activeSegment);
                int size = Volatile.Read(ref _activeSize);
                if (Volatile.Read(ref _endVersion) == version)
                {
                    return (end, active, size);
                }
            }

            spin.SpinOnce();
        }
    }

    /// <summary>Index of the segment holding <paramref name="offset"/>: the last with base &lt;= offset (0 when none).</summary>
    private static int FindSegmentIndex(LogSegment[] segments, long offset)
    {
        int lo = 0;
        int hi = segments.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi + 1) >>> 1;
            if (segments[mid].BaseOffset <= offset)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private readonly record struct PendingDeletion(LogSegment Segment, long DueMs);
}
