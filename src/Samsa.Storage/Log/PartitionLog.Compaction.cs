using Samsa.Storage.Checkpoints;

namespace Samsa.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>The current segments, oldest first; the last is the active one. For the cleaner.</summary>
    internal LogSegment[] SegmentArray => Volatile.Read(ref _segments);

    /// <summary>When the log was last fsynced (for flush.ms from the maintenance pass).</summary>
    internal long LastFlushMs => Volatile.Read(ref _lastFlushMs);

    /// <summary>
    /// Swaps a compacted file in for the consecutive sealed segments it was made from (Kafka's
    /// replaceSegments). <paramref name="cleanedPath"/> is a complete, fsynced
    /// <c>&lt;base&gt;.log.cleaned</c> holding the surviving batches of <paramref name="sources"/>,
    /// whose first base offset it shares. Each step leaves a state that load completes or undoes:
    /// <list type="number">
    /// <item><c>.cleaned</c> → <c>.log.swap</c> (a crash before: load deletes the <c>.cleaned</c>;
    /// after: load replaces the segments the swap covers with it);</item>
    /// <item>the sources renamed to <c>*.deleted</c> (load deletes them and completes the swap);</item>
    /// <item><c>.swap</c> → <c>.log</c>: done.</item>
    /// </list>
    /// Runs under both locks, so no append, roll, truncation or retention interleaves; it first
    /// checks the sources are still in the log (truncation or retention may have removed them while
    /// the cleaner worked) and otherwise discards the file and returns false. Readers holding the
    /// old segments keep reading them: they leave through the usual delayed deletion.
    /// </summary>
    internal bool ReplaceSegments(ReadOnlySpan<LogSegment> sources, string cleanedPath)
    {
        lock (_flushLock)
        {
            lock (_lock)
            {
                LogSegment[] segments = _segments;
                int first = _closed || sources.IsEmpty ? -1 : Array.IndexOf(segments, sources[0]);
                bool intact = first >= 0 && first + sources.Length < segments.Length;
                for (int i = 0; intact && i < sources.Length; i++)
                {
                    intact = segments[first + i] == sources[i];
                }

                if (!intact)
                {
                    File.Delete(cleanedPath);
                    return false;
                }

                long baseOffset = sources[0].BaseOffset;
                string swapPath = LogFileNames.LogPath(_dir, baseOffset) + LogFileNames.SwapSuffix;
                File.Move(cleanedPath, swapPath, overwrite: true);
                DirectorySync.Flush(_dir);
                ScheduleDeletion(sources);
                DirectorySync.Flush(_dir);
                string logPath = LogFileNames.LogPath(_dir, baseOffset);
                File.Move(swapPath, logPath, overwrite: true);
                DirectorySync.Flush(_dir);

                var replacement = LogSegment.OpenExisting(_dir, baseOffset, Config, new FileInfo(logPath).Length);
                replacement.TrustContents();

                // Built now, with the forced final time index entry a rolled segment has, so the
                // segment's max timestamp (retention) reads right from its index after a restart.
                replacement.Reactivate();
                replacement.Seal();
                replacement.ReleaseIdleResources(keepIndexes: false);

                var updated = new LogSegment[segments.Length - sources.Length + 1];
                segments.AsSpan(0, first).CopyTo(updated);
                updated[first] = replacement;
                segments.AsSpan(first + sources.Length).CopyTo(updated.AsSpan(first + 1));
                Volatile.Write(ref _segments, updated);
                return true;
            }
        }
    }
}
