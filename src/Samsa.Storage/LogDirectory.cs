using System.Collections.Concurrent;
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
    private const string DeleteSuffix = "-delete";

    private readonly LogDirectoryLock _lock;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<TopicPartition, PartitionLog> _logs = new();
    private readonly Lock _lifecycleLock = new();
    private readonly OffsetCheckpointFile _recoveryPoints;
    private readonly OffsetCheckpointFile _logStartOffsets;
    private readonly ConcurrentDictionary<TopicPartition, OfflineLog> _offline = new();
    private bool _closed;

    private LogDirectory(string path, LogDirectoryLock directoryLock, TimeProvider time, bool hadCleanShutdown, LogCleanerConfig cleanerConfig)
    {
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

    /// <summary>
    /// Opens (creating if needed) a log dir and loads its partitions. <paramref name="configFor"/>
    /// gives a topic's log config. Directories marked for deletion are removed, not loaded.
    /// </summary>
    public static LogDirectory Open(string path, TimeProvider time, Func<string, LogConfig> configFor, LogCleanerConfig? cleanerConfig = null)
    {
        Directory.CreateDirectory(path);
        LogDirectoryLock directoryLock = LogDirectoryLock.Acquire(path);
        try
        {
            bool clean = CleanShutdownFile.Exists(path);
            var directory = new LogDirectory(path, directoryLock, time, clean, cleanerConfig ?? LogCleanerConfig.Default);
            directory.LoadAll(configFor);

            // From here on a crash must look unclean, whatever the previous run did.
            CleanShutdownFile.Delete(path);
            return directory;
        }
        catch
        {
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
            if (isDirectory && name.EndsWith(DeleteSuffix, StringComparison.Ordinal))
            {
                Directory.Delete(dir, recursive: true);
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
                _offline[id] = new OfflineLog($"{dir} is not a directory", recoveryPoint, logStartOffset);
                continue;
            }

            try
            {
                _logs[id] = PartitionLog.Open(dir, id, configFor(id.Topic), _time, recoveryPoint, HadCleanShutdown, logStartOffset);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or StorageException)
            {
                // One unreadable partition must not keep the others (or the broker) down: it stays
                // offline and on disk, as Kafka keeps an offline log dir.
                _offline[id] = new OfflineLog(e.Message, recoveryPoint, logStartOffset);
            }
        }
    }

    public PartitionLog? GetLog(TopicPartition id) => _logs.GetValueOrDefault(id);

    /// <summary>The topic id recorded for a partition's log (partition.metadata), if any.</summary>
    public static Uuid? TopicIdOf(PartitionLog log) =>
        new PartitionMetadataFile(System.IO.Path.Combine(log.Directory, PartitionMetadataFile.FileName)).Read();

    /// <summary>
    /// The log of a partition, created if missing. A log left from an older topic of the same name
    /// (a different topic id) is deleted first: it holds another topic's data.
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
                existing.Delete();
                _cleaner.Forget(id);
            }

            string dir = System.IO.Path.Combine(Path, id.DirectoryName);
            Directory.CreateDirectory(dir);
            if (!topicId.IsZero)
            {
                new PartitionMetadataFile(System.IO.Path.Combine(dir, PartitionMetadataFile.FileName)).Write(topicId);
            }

            PartitionLog log = PartitionLog.Open(dir, id, config, _time, recoveryPoint: 0, hadCleanShutdown: true);
            _logs[id] = log;
            return log;
        }
    }

    /// <summary>Closes the partition's log and removes its files.</summary>
    public void DeleteLog(TopicPartition id)
    {
        lock (_lifecycleLock)
        {
            if (_logs.TryRemove(id, out PartitionLog? log))
            {
                log.Delete();
                _cleaner.Forget(id);
            }
            else if (_offline.TryRemove(id, out _))
            {
                // The topic was deleted: its unreadable files go with it.
                string path = System.IO.Path.Combine(Path, id.DirectoryName);
                if (Directory.Exists(path))
                {
                    Directory.Delete(path, recursive: true);
                }
                else
                {
                    File.Delete(path);
                }
            }
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
    public void Dispose()
    {
        lock (_lifecycleLock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            try
            {
                bool clean = _offline.IsEmpty;
                foreach (PartitionLog log in _logs.Values)
                {
                    try
                    {
                        log.Close();
                    }
                    catch (StorageException)
                    {
                        clean = false; // Close took the log offline; the others still close.
                    }

                    clean &= !log.IsOffline;
                }

                Checkpoint();
                if (clean)
                {
                    CleanShutdownFile.Write(Path);
                }
            }
            finally
            {
                _lock.Dispose();
            }
        }
    }

    /// <summary>A partition that failed to load, with the checkpoint values it had.</summary>
    private sealed record OfflineLog(string Reason, long RecoveryPoint, long LogStartOffset);
}
