using Samsa.Storage.Checkpoints;

namespace Samsa.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Opens (creating if needed) the log in <paramref name="partitionDir"/>: discards leftovers of
    /// interrupted operations, completes compaction swaps, loads segments lazily, and — after an
    /// unclean shutdown — validates every batch from the segment holding
    /// <paramref name="recoveryPoint"/> on, cutting a torn or corrupt tail and rebuilding indexes.
    /// Corruption below the recovery point (data that had been fsynced) throws
    /// <see cref="StorageException"/> rather than being served or silently dropped.
    /// <paramref name="flusher"/> fsyncs rolled segments in the background (its log dir's; a
    /// process-wide one by default).
    /// </summary>
    public static PartitionLog Open(
        string partitionDir,
        TopicPartition topicPartition,
        LogConfig config,
        TimeProvider time,
        long recoveryPoint,
        bool hadCleanShutdown,
        long logStartOffset = 0,
        SegmentFlusher? flusher = null)
    {
        ArgumentNullException.ThrowIfNull(partitionDir);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(time);
        config.Validate();
        System.IO.Directory.CreateDirectory(partitionDir);
        long nowMs = time.GetUtcNow().ToUnixTimeMilliseconds();

        RemoveLeftovers(partitionDir);
        List<LogSegment> segments = LoadSegments(partitionDir, config);
        if (segments.Count == 0)
        {
            segments.Add(LogSegment.CreateNew(partitionDir, Math.Max(0, logStartOffset), config));
        }

        long newRecoveryPoint;
        if (!hadCleanShutdown)
        {
            Recover(segments, topicPartition, recoveryPoint);
        }

        LogSegment last = segments[^1];
        (long nextOffset, BatchScanStatus status) = last.LoadAsActive(nowMs);
        if (status != BatchScanStatus.Complete)
        {
            // The marker said clean, yet the tail does not parse: validate it as after a crash.
            RecoverSegment(segments, segments.Count - 1, topicPartition, recoveryPoint);
            (nextOffset, _) = last.LoadAsActive(nowMs);

            // The recovery point claims the log end below: make the cut durable now (a clean
            // close flushes nothing the recovery point covers).
            last.FlushLog();
        }

        long logEnd = nextOffset >= 0 ? nextOffset : last.BaseOffset;
        newRecoveryPoint = logEnd;
        if (!hadCleanShutdown)
        {
            // The recovered tail was read from the page cache; make it durable before claiming it.
            for (int i = 0; i < segments.Count; i++)
            {
                if (i == segments.Count - 1 || segments[i + 1].BaseOffset > recoveryPoint)
                {
                    segments[i].FlushLog();
                    if (i < segments.Count - 1)
                    {
                        // Their rebuilt indexes too: the recovery point passes them, so no later
                        // flush would, and a sealed segment's time index must survive (retention).
                        segments[i].SaveIndexes(fsync: true);
                    }
                }
            }
        }

        var epochCache = new LeaderEpochCache(new LeaderEpochCheckpointFile(Path.Combine(partitionDir, LeaderEpochCheckpointFile.FileName)));
        var log = new PartitionLog(partitionDir, topicPartition, config, time, epochCache, [.. segments], flusher ?? SegmentFlusher.Shared);
        long start = Math.Min(Math.Max(logStartOffset, segments[0].BaseOffset), logEnd);
        log._logStartOffset = start;
        log._recoveryPoint = newRecoveryPoint;
        log._lastFlushMs = nowMs;
        log.PublishEnd(logEnd, last, last.Size);
        long snapshot = log.LoadProducerState(logEnd);
        if (hadCleanShutdown && snapshot == logEnd)
        {
            // The last clean close wrote it with an fsync (or found it so); it describes the log end.
            log._durableSnapshotOffset = snapshot;
        }

        epochCache.TruncateFromEnd(logEnd);
        epochCache.TruncateFromStart(start);

        // An idle partition holds no file handle: the first append or read reopens it.
        last.ReleaseIdleResources(keepIndexes: true);
        return log;
    }

    /// <summary>
    /// Kafka's start-up clean-up: <c>.tmp</c>, <c>.cleaned</c> and <c>.deleted</c> files are
    /// removed; a <c>.log.swap</c> (compaction finished but not yet swapped in) replaces the
    /// segments it covers; index swaps are dropped (rebuilt); indexes without a log go.
    /// </summary>
    private static void RemoveLeftovers(string dir)
    {
        var swaps = new List<string>();
        foreach (string path in System.IO.Directory.GetFiles(dir))
        {
            string name = Path.GetFileName(path);
            if (name.EndsWith(LogFileNames.TmpSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogFileNames.CleanedSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogFileNames.DeletedSuffix, StringComparison.Ordinal))
            {
                File.Delete(path);
            }
            else if (name.EndsWith(LogFileNames.SwapSuffix, StringComparison.Ordinal))
            {
                if (name.EndsWith(LogFileNames.LogSuffix + LogFileNames.SwapSuffix, StringComparison.Ordinal))
                {
                    swaps.Add(path);
                }
                else
                {
                    File.Delete(path);
                }
            }
        }

        foreach (string swap in swaps)
        {
            CompleteSwap(dir, swap);
        }

        foreach (string path in System.IO.Directory.GetFiles(dir))
        {
            string name = Path.GetFileName(path);
            bool isIndex = name.EndsWith(LogFileNames.IndexSuffix, StringComparison.Ordinal)
                || name.EndsWith(LogFileNames.TimeIndexSuffix, StringComparison.Ordinal);
            if (isIndex && LogFileNames.TryParseBaseOffset(name, out long baseOffset) && !File.Exists(LogFileNames.LogPath(dir, baseOffset)))
            {
                File.Delete(path);
            }
        }
    }

    /// <summary>Replaces the segments whose base offsets fall in the swap file's offset range with it.</summary>
    private static void CompleteSwap(string dir, string swapPath)
    {
        string name = Path.GetFileName(swapPath);
        if (!LogFileNames.TryParseBaseOffset(name, out long baseOffset))
        {
            File.Delete(swapPath);
            return;
        }

        long nextOffset = baseOffset;
        using (Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(swapPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            long length = Math.Min(RandomAccess.GetLength(file), int.MaxValue);
            Span<byte> buffer = stackalloc byte[LogSegment.ScanBufferSize];
            var scanner = new BatchHeaderScanner(file, buffer, 0, (int)length);
            while (scanner.TryNext(out BatchHeaderInfo batch))
            {
                nextOffset = batch.LastOffset + 1;
            }
        }

        foreach (string path in System.IO.Directory.GetFiles(dir, "*" + LogFileNames.LogSuffix))
        {
            if (LogFileNames.TryParseBaseOffset(Path.GetFileName(path), out long existing) && existing >= baseOffset && existing < nextOffset)
            {
                File.Delete(path);
                File.Delete(LogFileNames.IndexPath(dir, existing));
                File.Delete(LogFileNames.TimeIndexPath(dir, existing));
            }
        }

        File.Move(swapPath, LogFileNames.LogPath(dir, baseOffset), overwrite: true);
        File.Delete(LogFileNames.IndexPath(dir, baseOffset));
        File.Delete(LogFileNames.TimeIndexPath(dir, baseOffset));
    }

    private static List<LogSegment> LoadSegments(string dir, LogConfig config)
    {
        var segments = new List<LogSegment>();
        foreach (DirectoryInfo misplaced in new DirectoryInfo(dir).EnumerateDirectories("*" + LogFileNames.LogSuffix))
        {
            // Skipping it would silently drop that segment's offsets from the log.
            throw new StorageException($"Segment {misplaced.FullName} is a directory, not a file.");
        }

        foreach (FileInfo file in new DirectoryInfo(dir).EnumerateFiles("*" + LogFileNames.LogSuffix))
        {
            if (file.Name.Length == 20 + LogFileNames.LogSuffix.Length
                && LogFileNames.TryParseBaseOffset(file.Name, out long baseOffset))
            {
                segments.Add(LogSegment.OpenExisting(dir, baseOffset, config, file.Length));
            }
        }

        segments.Sort(static (a, b) => a.BaseOffset.CompareTo(b.BaseOffset));
        return segments;
    }

    /// <summary>Validates every segment from the one holding the recovery point to the end.</summary>
    private static void Recover(List<LogSegment> segments, TopicPartition topicPartition, long recoveryPoint)
    {
        int first = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            if (segments[i].BaseOffset <= recoveryPoint)
            {
                first = i;
            }
        }

        for (int i = first; i < segments.Count; i++)
        {
            if (RecoverSegment(segments, i, topicPartition, recoveryPoint))
            {
                break;
            }
        }
    }

    /// <summary>
    /// Recovers one segment; when it had to cut a tail, deletes every later segment and returns
    /// true. Sealed segments get their indexes written (with the final time index entry).
    /// </summary>
    private static bool RecoverSegment(List<LogSegment> segments, int index, TopicPartition topicPartition, long recoveryPoint)
    {
        LogSegment segment = segments[index];
        SegmentRecoveryResult result = segment.Recover();
        if (!result.Truncated)
        {
            if (index < segments.Count - 1)
            {
                segment.Seal();
            }

            return false;
        }

        long lostFrom = result.NextOffset >= 0 ? result.NextOffset : segment.BaseOffset;
        if (lostFrom < recoveryPoint)
        {
            throw new StorageException(
                $"Partition {topicPartition}: {result.Failure} batch at position {result.ValidBytes} of {segment.LogPath} "
                + $"(offset {lostFrom}) is below the recovery point {recoveryPoint}; data that was flushed is corrupt.");
        }

        for (int later = segments.Count - 1; later > index; later--)
        {
            segments[later].DeleteFiles();
            segments.RemoveAt(later);
        }

        segment.SaveIndexes(fsync: false);
        return true;
    }
}
