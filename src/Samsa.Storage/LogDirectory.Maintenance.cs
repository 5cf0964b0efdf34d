using System.Collections.Concurrent;
using Samsa.Storage.Cleaning;
using Samsa.Storage.Log;

namespace Samsa.Storage;

public sealed partial class LogDirectory
{
    /// <summary>How long a log's end must stay still before its handles and indexes are released. 10 minutes.</summary>
    public const long DefaultIdleAfterMs = 10 * 60 * 1000;

    private readonly LogCleaner _cleaner;

    // Deleted partitions' directories that could not be removed yet (Windows: a file another
    // process holds open), renamed to *-delete; each maintenance pass tries them again.
    private readonly ConcurrentQueue<string> _leftovers = new();

    /// <summary>
    /// Removes a directory tree, false when something refused: <see cref="PartitionLog.TryDeleteTree"/>.
    /// Test seam: a test holds a file where the OS gives it no way to (Windows, root without
    /// CAP_LINUX_IMMUTABLE).
    /// </summary>
    internal Func<string, bool> DeleteTree { get; set; } = PartitionLog.TryDeleteTree;

    // Guarded by _maintenanceLock: when each log's end last moved, for idle detection.
    private readonly Lock _maintenanceLock = new();
    private readonly Dictionary<TopicPartition, (long LogEnd, long SinceMs)> _activity = [];

    /// <summary>The compaction engine of this log dir (tests drive it directly).</summary>
    internal LogCleaner Cleaner => _cleaner;

    /// <summary>
    /// The periodic upkeep of every log, called from the broker's maintenance loop: retention
    /// (cleanup.policy delete), compaction (cleanup.policy compact; both for compact,delete), an
    /// fsync of logs whose last flush is flush.ms old, and release of the file handles and indexes
    /// of logs whose end has not moved for <paramref name="idleAfterMs"/> (reads reopen them
    /// lazily; appends, which move the end, keep a log "busy"), and another try at removing what a
    /// partition's delete could not (Windows: a file held elsewhere). Nothing goes beyond the high
    /// watermark <paramref name="highWatermarkOf"/> gives. Runs on the caller's thread; passes are
    /// serialized. A log the cleaner cannot read is reported and skipped, not thrown.
    /// </summary>
    public MaintenanceResult RunMaintenance(long nowMs, Func<TopicPartition, long> highWatermarkOf, long idleAfterMs = DefaultIdleAfterMs)
    {
        ArgumentNullException.ThrowIfNull(highWatermarkOf);
        lock (_maintenanceLock)
        {
            int deleted = 0;
            int compacted = 0;
            int flushed = 0;
            int released = 0;
            int uncleanable = 0;
            RetryLeftovers();
            foreach ((TopicPartition id, PartitionLog log) in _logs)
            {
                if (log.IsOffline)
                {
                    continue; // nothing of it can be trusted or changed until the next start
                }

                long highWatermark = highWatermarkOf(id);
                deleted += log.DeleteOldSegments(highWatermark);

                CleanResult cleaned = _cleaner.Clean(log, nowMs, highWatermark);
                compacted += cleaned.Status == CleanStatus.Cleaned ? 1 : 0;
                uncleanable += cleaned.Status == CleanStatus.Uncleanable && cleaned.Error is not null ? 1 : 0;

                LogConfig config = log.Config;
                if (config.FlushMs != long.MaxValue && log.LogEndOffset > log.RecoveryPoint && nowMs - log.LastFlushMs >= config.FlushMs)
                {
                    try
                    {
                        log.Flush();
                        flushed++;
                    }
                    catch (StorageException) when (log.IsOffline)
                    {
                        continue; // the fsync failed: the log went offline (and said so); the others go on
                    }
                }

                long end = log.LogEndOffset;
                if (!_activity.TryGetValue(id, out (long LogEnd, long SinceMs) seen) || seen.LogEnd != end)
                {
                    _activity[id] = (end, nowMs);
                }
                else if (nowMs - seen.SinceMs >= idleAfterMs && log.ResourceUsage.OpenHandles > 0)
                {
                    log.ReleaseIdleResources();
                    released++;
                }
            }

            if (_activity.Count > _logs.Count)
            {
                foreach (TopicPartition id in _activity.Keys)
                {
                    if (!_logs.ContainsKey(id))
                    {
                        _activity.Remove(id);
                    }
                }
            }

            return new MaintenanceResult(deleted, compacted, flushed, released, uncleanable);
        }
    }

    /// <summary>Remembers what a partition's delete left behind, for <see cref="RetryLeftovers"/>.</summary>
    private void KeepForRetry(string? leftover)
    {
        // Only a renamed directory: one left under the partition's own name (even its rename was
        // refused) loads again as the partition, as after a crash before the delete, and retrying
        // it could remove the partition created again under that name.
        if (leftover is not null && leftover.EndsWith(PartitionLog.DeletedDirectorySuffix, StringComparison.Ordinal))
        {
            _leftovers.Enqueue(leftover);
        }
    }

    /// <summary>Tries each leftover once more; those still refused wait for the next pass.</summary>
    private void RetryLeftovers()
    {
        for (int count = _leftovers.Count; count > 0 && _leftovers.TryDequeue(out string? leftover); count--)
        {
            if (!DeleteTree(leftover))
            {
                _leftovers.Enqueue(leftover);
            }
        }
    }
}
