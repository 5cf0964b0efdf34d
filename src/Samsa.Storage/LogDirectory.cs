using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Protocol.Primitives;
using Samsa.Storage.Checkpoints;
using Samsa.Storage.Cleaning;
using Samsa.Storage.Log;

namespace Samsa.Storage;

/// <summary>
/// One log dir (Kafka's log manager for a single entry of <c>log.dirs</c>): holds the directory
/// lock, loads every partition log at open (recovering them when the last shutdown was not
/// clean), creates and deletes logs on the broker's request, writes the recovery-point and
/// log-start-offset checkpoints, and marks a clean shutdown on close. Thread-safe: logs are kept in
/// a concurrent map; creation and deletion of one partition are serialized by <see cref="_lifecycleLock"/>.
/// </summary>
public sealed partial class LogDirectory : IDisposable
{
    /// <summary>Logs closed at once at shutdown: enough fsyncs in flight for the file system to commit them together.</summary>
    private const int CloseParallelism = 8;

    private readonly LogDirectoryLock _lock;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<TopicPartition, PartitionLog> _logs = new();
    private readonly Lock _lifecycleLock = new();
    private readonly OffsetCheckpointFile _recoveryPoints;
    private readonly OffsetCheckpointFile _logStartOffsets;
    private readonly SegmentFlusher _flusher;
    private readonly ConcurrentDictionary<TopicPartition, OfflineLog> _offline = new();

    // Offline partitions: _offline's entries plus loaded logs that went offline, each counted once
    // (PartitionLog.TryCountOffline). Every produce, fetch and list-offsets partition asks
    // AnyOffline first, so it reads this word rather than scanning or asking a concurrent map.
    private int _offlineCount;
    private bool _closed;

    private LogDirectory(string path, LogDirectoryLock directoryLock, TimeProvider time, bool hadCleanShutdown, LogCleanerConfig cleanerConfig, ILogger logger)
    {
        _logger = logger;
        _flusher = new SegmentFlusher(logger);
        _cleaner = new LogCleaner(path, cleanerConfig);
        Path = path;
        _lock = directoryLock;
        _time = time;
        HadCleanShutdown = hadCleanShutdown;
        _recoveryPoints = new OffsetCheckpointFile(System.IO.Path.Combine(path, OffsetCheckpointFile.RecoveryPointFileName));
        _logStartOffsets = new OffsetCheckpointFile(System.IO.Path.Combine(path, OffsetCheckpointFile.LogStartOffsetFileName));
    }

    public string Path { get; }

    /// <summary>Whether the previous run marked a clean shutdown (else every log was recovered).</summary>
    public bool HadCleanShutdown { get; }

    public ICollection<PartitionLog> Logs => _logs.Values;

    /// <summary>
    /// Partitions whose log could not be loaded at open (unreadable files, corrupt flushed data, a
    /// partition path that is not a directory), with the reason. They stay on disk untouched: no
    /// log is created over them, and their checkpoint entries are kept.
    /// </summary>
    public IReadOnlyDictionary<TopicPartition, string> OfflineLogs
    {
        get
        {
            var reasons = new Dictionary<TopicPartition, string>(_offline.Count);
            foreach ((TopicPartition id, OfflineLog log) in _offline)
            {
                reasons[id] = log.Reason;
            }

            return reasons;
        }
    }

    /// <summary>Whether any partition of this log dir is offline (a cheap check before <see cref="IsOffline"/>).</summary>
    public bool AnyOffline => Volatile.Read(ref _offlineCount) > 0;

    /// <summary>
    /// Whether the partition is offline here: it could not be loaded or created (an I/O error
    /// other than a full disk), or its log went offline at run time (<see cref="PartitionLog.IsOffline"/>).
    /// The one place that says so; a full disk never makes a partition offline.
    /// </summary>
    public bool IsOffline(TopicPartition id) =>
        _offline.ContainsKey(id) || (_logs.TryGetValue(id, out PartitionLog? log) && log.IsOffline);

    /// <summary>
    /// Opens (creating if needed) a log dir and loads its partitions. <paramref name="configFor"/>
    /// gives a topic's log config. Directories marked for deletion are removed, not loaded.
    /// </summary>
    /// <param name="logger">Where a shutdown that could not write everything says so; none by default.</param>
    public static LogDirectory Open(string path, TimeProvider time, Func<string, LogConfig> configFor, LogCleanerConfig? cleanerConfig = null, ILogger? logger = null)
    {
        Directory.CreateDirectory(path);
        LogDirectoryLock directoryLock = LogDirectoryLock.Acquire(path);
        LogDirectory? directory = null;
        try
        {
            bool clean = CleanShutdownFile.Exists(path);
            directory = new LogDirectory(path, directoryLock, time, clean, cleanerConfig ?? LogCleanerConfig.Default, logger ?? NullLogger.Instance);
            directory.LoadAll(configFor);

            // From here on a crash must look unclean, whatever the previous run did.
            CleanShutdownFile.Delete(path);
            return directory;
        }
        catch
        {
            directory?._flusher.Dispose();
            directoryLock.Dispose();
            throw;
        }
    }

    private void LoadAll(Func<string, LogConfig> configFor)
    {
        IReadOnlyDictionary<TopicPartition, long> recoveryPoints = _recoveryPoints.Read();
        IReadOnlyDictionary<TopicPartition, long> logStartOffsets = _logStartOffsets.Read();
        foreach (string dir in Directory.GetFileSystemEntries(Path))
        {
            string name = System.IO.Path.GetFileName(dir);
            bool isDirectory = Directory.Exists(dir);
            if (isDirectory && name.EndsWith(PartitionLog.DeletedDirectorySuffix, StringComparison.Ordinal))
            {
                // A deleted partition's leftovers; one still held open elsewhere (Windows: a virus
                // scanner, a backup) must not stop the broker from starting, so it waits for the next load.
                PartitionLog.TryDeleteTree(dir);
                continue;
            }

            if (!TopicPartition.TryParseDirectoryName(name, out TopicPartition id))
            {
                continue; // not a partition (e.g. the embedded metadata store's folder)
            }

            long recoveryPoint = recoveryPoints.GetValueOrDefault(id, 0);
            long logStartOffset = logStartOffsets.GetValueOrDefault(id, 0);
            if (!isDirectory)
            {
                AddOffline(id, new OfflineLog($"{dir} is not a directory", recoveryPoint, logStartOffset));
                continue;
            }

            try
            {
                Attach(PartitionLog.Open(dir, id, configFor(id.Topic), _time, recoveryPoint, HadCleanShutdown, logStartOffset, _flusher));
            }
            catch (Exception e) when (PartitionLog.IsIoFailure(e))
            {
                // One unreadable partition must not keep the others (or the broker) down: it stays
                // offline and on disk, as Kafka keeps an offline log dir.
                AddOffline(id, new OfflineLog(e.Message, recoveryPoint, logStartOffset));
            }
        }
    }

    public PartitionLog? GetLog(TopicPartition id) => _logs.GetValueOrDefault(id);

    /// <summary>The topic id recorded for a partition's log (partition.metadata), if any.</summary>
    public static Uuid? TopicIdOf(PartitionLog log) =>
        new PartitionMetadataFile(System.IO.Path.Combine(log.Directory, PartitionMetadataFile.FileName)).Read();

    /// <summary>
    /// The log of a partition, created if missing. A log left from an older topic of the same name
    /// (a different topic id) is deleted first: it holds another topic's data. A failure throws;
    /// unless it is a full disk (which the next call may get past once space is back) the
    /// partition is offline from then on (<see cref="IsOffline"/>).
    /// </summary>
    public PartitionLog GetOrCreateLog(TopicPartition id, Uuid topicId, LogConfig config)
    {
        lock (_lifecycleLock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (_offline.TryGetValue(id, out OfflineLog? offline))
            {
                // Never a fresh log over files we could not read: that would destroy them.
                throw new StorageException($"Partition {id} is offline: {offline.Reason}");
            }

            try
            {
                return GetOrCreateLogLocked(id, topicId, config);
            }
            catch (Exception e) when (PartitionLog.IsIoFailure(e) && !OutOfSpace.IsCause(e))
            {
                if (_logs.TryGetValue(id, out PartitionLog? loaded))
                {
                    throw loaded.TakeOffline("opening it for the broker failed", e);
                }

                AddOffline(id, new OfflineLog(e.Message, 0, 0));
                throw;
            }
        }
    }

    private PartitionLog GetOrCreateLogLocked(TopicPartition id, Uuid topicId, LogConfig config)
    {
        if (_logs.TryGetValue(id, out PartitionLog? existing))
        {
            Uuid? recorded = TopicIdOf(existing);
            if (topicId.IsZero || recorded is null || recorded.Value == topicId)
            {
                if (recorded is null && !topicId.IsZero)
                {
                    new PartitionMetadataFile(System.IO.Path.Combine(existing.Directory, PartitionMetadataFile.FileName)).Write(topicId);
                }

                return existing;
            }

            _logs.TryRemove(id, out _);
            Detach(existing);
            existing.Delete();
            _cleaner.Forget(id);
        }

        string dir = System.IO.Path.Combine(Path, id.DirectoryName);
        Directory.CreateDirectory(dir);
        if (!topicId.IsZero)
        {
            new PartitionMetadataFile(System.IO.Path.Combine(dir, PartitionMetadataFile.FileName)).Write(topicId);
        }

        PartitionLog log = PartitionLog.Open(dir, id, config, _time, recoveryPoint: 0, hadCleanShutdown: true, flusher: _flusher);
        Attach(log);
        return log;
    }

    /// <summary>Closes the partition's log and removes its files.</summary>
    public void DeleteLog(TopicPartition id)
    {
        lock (_lifecycleLock)
        {
            if (_logs.TryRemove(id, out PartitionLog? log))
            {
                Detach(log);
                KeepForRetry(log.DeleteAndFindLeftover(DeleteTree));
                _cleaner.Forget(id);
            }
            else if (_offline.TryRemove(id, out _))
            {
                Interlocked.Decrement(ref _offlineCount);
                // The topic was deleted: its unreadable files go with it, as a live log's do (never
                // throwing for a file something else still holds).
                string path = System.IO.Path.Combine(Path, id.DirectoryName);
                if (Directory.Exists(path))
                {
                    KeepForRetry(PartitionLog.RemoveDirectory(path, DeleteTree));
                }
                else
                {
                    TryDeleteFile(path);
                }
            }
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Held elsewhere (Windows): not a partition directory, so the next load skips it.
        }
    }

    /// <summary>Writes the recovery points and log start offsets of every log (tmp file, fsync, rename).</summary>
    public void Checkpoint()
    {
        var recoveryPoints = new List<KeyValuePair<TopicPartition, long>>(_logs.Count);
        var logStartOffsets = new List<KeyValuePair<TopicPartition, long>>(_logs.Count);
        foreach ((TopicPartition id, PartitionLog log) in _logs)
        {
            recoveryPoints.Add(new(id, log.RecoveryPoint));
            logStartOffsets.Add(new(id, log.LogStartOffset));
        }

        foreach ((TopicPartition id, OfflineLog offline) in _offline)
        {
            // Kept as read: dropping them would lose the log start (and force a full recovery) if the partition comes back.
            recoveryPoints.Add(new(id, offline.RecoveryPoint));
            logStartOffsets.Add(new(id, offline.LogStartOffset));
        }

        _recoveryPoints.Write(recoveryPoints);
        _logStartOffsets.Write(logStartOffsets);
    }

    /// <summary>Applies retention to every log, never beyond what <paramref name="highWatermarkOf"/> says is committed.</summary>
    public int ApplyRetention(Func<TopicPartition, long> highWatermarkOf)
    {
        int deleted = 0;
        foreach ((TopicPartition id, PartitionLog log) in _logs)
        {
            deleted += log.DeleteOldSegments(highWatermarkOf(id));
        }

        return deleted;
    }

    /// <summary>
    /// Flushes and closes every log, checkpoints, and marks the shutdown clean — unless a log is
    /// offline or something could not be written (a full disk): then the marker is left out, so
    /// the next start recovers from the recovery points instead of trusting the files.
    /// </summary>
    /// <remarks>
    /// Never throws for a failing disk (a full one above all): it closes every log it can, writes
    /// what it can, releases the directory lock, and says in one warning what could not be written.
    /// </remarks>
    public void Dispose()
    {
        lock (_lifecycleLock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            List<string>? unwritten = null;
            try
            {
                // Rolled segments' flushes still queued run first; a failure there shows below as an offline log.
                bool clean = _offline.IsEmpty;
                try
                {
                    _flusher.Dispose();
                }
                catch (Exception e)
                {
                    // Not expected (the flusher keeps failures in): the logs still close (which
                    // flushes them), but the next start recovers rather than trust this shutdown.
                    (unwritten ??= []).Add($"background flusher: {e.Message}");
                    clean = false;
                }

                // In parallel, as Kafka's shutdown runs its recovery threads: closing is mostly fsyncs
                // of different files, which the file system commits together, and with thousands of
                // partitions one after the other took longer than a shutdown may (bench/fuzz.sh).
                var closeLock = new Lock();
                Parallel.ForEach(_logs.Values, new ParallelOptions { MaxDegreeOfParallelism = CloseParallelism, TaskScheduler = TaskScheduler.Default }, log =>
                {
                    string? failure = CloseForShutdown(log);
                    if (failure is not null || log.IsOffline)
                    {
                        lock (closeLock)
                        {
                            if (failure is not null)
                            {
                                (unwritten ??= []).Add(failure);
                            }

                            clean = false;
                        }
                    }
                });

                try
                {
                    Checkpoint();
                }
                catch (StorageException e)
                {
                    (unwritten ??= []).Add(e.Message);
                    clean = false;
                }

                if (clean)
                {
                    try
                    {
                        CleanShutdownFile.Write(Path);
                    }
                    catch (StorageException e)
                    {
                        (unwritten ??= []).Add(e.Message);
                    }
                }
            }
            finally
            {
                _lock.Dispose();
            }

            if (unwritten is not null)
            {
                LogShutdownIncomplete(_logger, Path, unwritten.Count, string.Join("; ", unwritten));
            }
        }
    }

    /// <summary>Closes one log at shutdown: what could not be written, or null when it closed clean (or was offline already).</summary>
    private static string? CloseForShutdown(PartitionLog log)
    {
        try
        {
            log.Close();
        }
        catch (Exception e) when (PartitionLog.IsIoFailure(e))
        {
            // Close took the log offline (or could not delete a removed segment); the others still close.
            return $"{log.TopicPartition}: {e.Message}";
        }

        // A log whose index files could not be saved (full disk) kept its old recovery point.
        return !log.IsOffline && log.RecoveryPoint < log.LogEndOffset
            ? $"{log.TopicPartition}: index files (recovery point stays at {log.RecoveryPoint})"
            : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Log dir {Directory} was not shut down cleanly, {Count} thing(s) could not be written: {Unwritten}. The next start recovers its logs from the last recovery points")]
    private static partial void LogShutdownIncomplete(ILogger logger, string directory, int count, string unwritten);

    /// <summary>
    /// Publishes a loaded or created log, counted from now on if it goes offline. WentOffline
    /// handlers must not take _lifecycleLock: at shutdown logs close on pool threads while
    /// <see cref="Dispose"/> holds it.
    /// </summary>
    private void Attach(PartitionLog log)
    {
        log.WentOffline += OnLogWentOffline;
        if (log.IsOffline)
        {
            OnLogWentOffline(log); // counts once, whichever of the two gets there first
        }

        _logs[log.TopicPartition] = log;
    }

    /// <summary>After a log left <see cref="_logs"/>: no longer counted, whatever it does next.</summary>
    private void Detach(PartitionLog log)
    {
        log.WentOffline -= OnLogWentOffline;
        if (log.UncountOnRemoval())
        {
            Interlocked.Decrement(ref _offlineCount);
        }
    }

    // Raised on the failing thread, maybe under the log's locks: only counts.
    private void OnLogWentOffline(PartitionLog log)
    {
        if (log.TryCountOffline())
        {
            Interlocked.Increment(ref _offlineCount);
        }
    }

    private void AddOffline(TopicPartition id, OfflineLog offline)
    {
        if (_offline.TryAdd(id, offline))
        {
            Interlocked.Increment(ref _offlineCount);
        }
    }

    /// <summary>A partition that failed to load, with the checkpoint values it had.</summary>
    private sealed record OfflineLog(string Reason, long RecoveryPoint, long LogStartOffset);
}
