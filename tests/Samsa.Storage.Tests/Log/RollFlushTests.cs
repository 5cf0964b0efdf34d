using Samsa.Protocol.Primitives;
using Samsa.Storage.Checkpoints;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// The fsync of a segment sealed by a roll runs in the background (<see cref="SegmentFlusher"/>),
/// as Kafka schedules it: a producer whose append rolled the segment does not wait for the disk.
/// The recovery point still moves only once that fsync is done, a clean shutdown waits for queued
/// ones, and deleting or truncating a log whose flush is queued or running is safe. A slow disk
/// is simulated by blocking in the log's fsync seam.
/// </summary>
public sealed class RollFlushTests
{
    private const int RecordsPerBatch = 10;
    private const int BatchesPerSegment = 4;
    private const long Timestamp = 1_700_000_000_000;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_roll_returns_without_waiting_for_the_fsync_and_the_recovery_point_moves_only_after_it()
    {
        using var dir = new TempDirectory();
        using var flusher = new SegmentFlusher();
        using var disk = new SlowDisk();
        PartitionLog log = Open(LogTestKit.PartitionDir(dir), LogTestKit.Partition, flusher);
        log.FsyncStarting = disk.Fsync;
        int tag = Fill(log, BatchesPerSegment, 0);

        // The next append rolls: it must come back while the sealed segment's fsync is stuck.
        Task<LogAppendInfo> append = Task.Run(() => log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, Timestamp, tag), 0));
        try
        {
            Assert.True(await CompletesWithin(append, Bound), "the append that rolled waited for the fsync of the sealed segment");
            Assert.Equal(LogAppendStatus.Success, (await append).Status);
            Assert.Equal(2, log.Segments.Count);
            Assert.True(disk.Started.Wait(Bound), "no background fsync started");
            Assert.Equal(LogFileNames.LogPath(LogTestKit.PartitionDir(dir), 0), disk.Paths[0]);

            // Not durable yet, so not claimed: a crash now recovers from offset 0.
            Assert.Equal(0, log.RecoveryPoint);
        }
        finally
        {
            disk.Release();
        }

        long sealedEnd = BatchesPerSegment * RecordsPerBatch;
        Assert.True(PollUntil(() => log.RecoveryPoint == sealedEnd, Bound), $"recovery point {log.RecoveryPoint}, expected {sealedEnd}");
        Assert.False(log.IsOffline);
        log.Close();
    }

    [Fact]
    public void The_background_fsync_holds_a_thread_of_its_own_never_one_of_the_thread_pools()
    {
        // A multi-second fsync on a pool thread starved the pool that serves every connection.
        using var dir = new TempDirectory();
        using var flusher = new SegmentFlusher();
        using var disk = new SlowDisk();
        PartitionLog log = Open(LogTestKit.PartitionDir(dir), LogTestKit.Partition, flusher);
        Thread? fsyncThread = null;
        log.FsyncStarting = path =>
        {
            fsyncThread ??= Thread.CurrentThread;
            disk.Fsync(path);
        };
        int tag = Fill(log, BatchesPerSegment, 0);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, Timestamp, tag), 0).Status);
        try
        {
            Assert.True(disk.Started.Wait(Bound), "no background fsync started");
            Assert.False(fsyncThread!.IsThreadPoolThread);
            Assert.Equal("segment flusher", fsyncThread.Name);
        }
        finally
        {
            disk.Release();
        }

        log.Close();
    }

    [Fact]
    public void A_crash_before_the_background_fsync_recovers_every_record_from_the_old_recovery_point()
    {
        using var dir = new TempDirectory();
        using var flusher = new SegmentFlusher();
        using var disk = new SlowDisk();
        string partitionDir = LogTestKit.PartitionDir(dir);
        PartitionLog log = Open(partitionDir, LogTestKit.Partition, flusher);
        log.FsyncStarting = disk.Fsync;
        int tag = Fill(log, (2 * BatchesPerSegment) + 1, 0); // two rolls, both flushes stuck behind the first
        Assert.True(disk.Started.Wait(Bound));
        long recoveryPoint = log.RecoveryPoint;
        Assert.Equal(0, recoveryPoint);

        // A crash: the next process opens the files as they are, from the recovery point it was told.
        PartitionLog recovered = Open(partitionDir, LogTestKit.Partition, flusher, recoveryPoint, clean: false);
        Assert.Equal(Enumerable.Range(0, tag).Select(i => ((long)i, i)), LogTestKit.ReadAll(recovered));
        Assert.Equal(tag, recovered.RecoveryPoint); // recovery fsyncs what it validated
        recovered.Close();

        disk.Release();
        Assert.True(PollUntil(() => log.RecoveryPoint == 2 * BatchesPerSegment * RecordsPerBatch, Bound));
        log.ReleaseIdleResources(); // the "crashed" instance: its handles go, nothing else of it runs
    }

    [Fact]
    public async Task Deleting_or_truncating_a_log_whose_roll_flush_is_running_or_queued_is_safe_and_leaks_no_handle()
    {
        using var dir = new TempDirectory();
        using var disk = new SlowDisk();
        using var flusher = new SegmentFlusher();
        var running = new TopicPartition("events", 0);
        var queued = new TopicPartition("events", 1);
        var truncated = new TopicPartition("events", 2);
        PartitionLog runningLog = Open(dir.Combine(running.DirectoryName), running, flusher);
        PartitionLog queuedLog = Open(dir.Combine(queued.DirectoryName), queued, flusher);
        PartitionLog truncatedLog = Open(dir.Combine(truncated.DirectoryName), truncated, flusher);
        var queuedFsyncs = new List<string>();
        runningLog.FsyncStarting = disk.Fsync;
        queuedLog.FsyncStarting = path => queuedFsyncs.Add(path);

        // The flusher is stuck in the first log's fsync; the other two logs' flushes queue behind it.
        Fill(runningLog, BatchesPerSegment + 1, 0);
        Assert.True(disk.Started.Wait(Bound));
        Fill(queuedLog, BatchesPerSegment + 1, 0);
        Fill(truncatedLog, BatchesPerSegment + 1, 0);
        Assert.Equal(0, queuedLog.RecoveryPoint);

        queuedLog.Delete();
        Assert.True(truncatedLog.TruncateTo(RecordsPerBatch));
        Task delete = Task.Run(runningLog.Delete);

        // It waits for the running flush: not done, and the files still there, while the fsync is stuck.
        Assert.False(await CompletesWithin(delete, TimeSpan.FromMilliseconds(300)), "delete did not wait for the running flush");
        Assert.True(Directory.Exists(dir.Combine(running.DirectoryName)));
        disk.Release();
        Assert.True(await CompletesWithin(delete, Bound), "delete did not finish after the flush it waited for");
        await delete;

        // Dispose waits for the queued flushes: they ran, found one log deleted and one truncated, and threw nothing.
        flusher.Dispose();
        Assert.Empty(queuedFsyncs);
        Assert.False(runningLog.IsOffline);
        Assert.False(queuedLog.IsOffline);
        Assert.False(truncatedLog.IsOffline);
        Assert.False(Directory.Exists(dir.Combine(running.DirectoryName)));
        Assert.False(Directory.Exists(dir.Combine(queued.DirectoryName)));
        Assert.Equal(Enumerable.Range(0, RecordsPerBatch).Select(i => ((long)i, i)), LogTestKit.ReadAll(truncatedLog));
        Assert.Equal(RecordsPerBatch, truncatedLog.RecoveryPoint); // the queued flush covered what was left
        truncatedLog.Close();

        if (OperatingSystem.IsLinux())
        {
            // Nothing of the deleted logs is held open (a flush reopening a segment would leak its handle).
            Assert.Empty(OpenFilesUnder(dir.Combine(running.DirectoryName)));
            Assert.Empty(OpenFilesUnder(dir.Combine(queued.DirectoryName)));
        }
    }

    [Fact]
    public async Task A_clean_shutdown_of_the_log_dir_runs_the_queued_roll_flushes_first()
    {
        using var dir = new TempDirectory();
        using var disk = new SlowDisk();
        var first = new TopicPartition("events", 0);
        var second = new TopicPartition("events", 1);
        LogConfig config = Config();
        using LogDirectory logs = LogDirectory.Open(dir.Path, TimeProvider.System, _ => config);
        PartitionLog firstLog = logs.GetOrCreateLog(first, Uuid.Zero, config);
        PartitionLog secondLog = logs.GetOrCreateLog(second, Uuid.Zero, config);
        var secondFsyncs = new List<string>();
        firstLog.FsyncStarting = disk.Fsync;
        secondLog.FsyncStarting = path =>
        {
            lock (secondFsyncs)
            {
                secondFsyncs.Add(path);
            }
        };
        Fill(firstLog, BatchesPerSegment + 1, 0);
        Assert.True(disk.Started.Wait(Bound));
        Fill(secondLog, BatchesPerSegment + 1, 0);

        // The log dir's checkpoint says what is durable: nothing yet.
        logs.Checkpoint();
        IReadOnlyDictionary<TopicPartition, long> points = new OffsetCheckpointFile(dir.Combine(OffsetCheckpointFile.RecoveryPointFileName)).Read();
        Assert.Equal(0, points[first]);
        Assert.Equal(0, points[second]);

        Task shutdown = Task.Run(logs.Dispose);
        disk.Release();
        Assert.True(await CompletesWithin(shutdown, Bound));
        await shutdown;

        // The second log's flush was still queued when the shutdown began; it ran (the fsync seam saw
        // it) before the log closed, since a flush after close does nothing.
        lock (secondFsyncs)
        {
            Assert.Contains(secondFsyncs, p => p.EndsWith(LogFileNames.LogPath(dir.Combine(second.DirectoryName), 0), StringComparison.Ordinal));
        }

        Assert.True(CleanShutdownFile.Exists(dir.Path));
        points = new OffsetCheckpointFile(dir.Combine(OffsetCheckpointFile.RecoveryPointFileName)).Read();
        Assert.Equal(firstLog.LogEndOffset, points[first]);
        Assert.Equal(secondLog.LogEndOffset, points[second]);
    }

    [Fact]
    public void A_roll_flush_queued_before_the_log_went_offline_neither_fsyncs_nor_moves_the_recovery_point()
    {
        using var dir = new TempDirectory();
        using var disk = new SlowDisk();
        using var flusher = new SegmentFlusher();
        var busy = new TopicPartition("events", 0);
        var failing = new TopicPartition("events", 1);
        PartitionLog busyLog = Open(dir.Combine(busy.DirectoryName), busy, flusher);
        PartitionLog failingLog = Open(dir.Combine(failing.DirectoryName), failing, flusher);
        busyLog.FsyncStarting = disk.Fsync;
        Fill(busyLog, BatchesPerSegment + 1, 0);
        Assert.True(disk.Started.Wait(Bound));

        // The second log's roll flush queues behind the stuck one; then an fsync of that log fails (EIO).
        Fill(failingLog, BatchesPerSegment + 1, 0);
        failingLog.FsyncStarting = _ => throw new IOException("Input/output error");
        Assert.Throws<StorageException>(failingLog.Flush);
        Assert.True(failingLog.IsOffline);

        // Linux may answer the next fsync with success although the dirty pages are gone: the queued
        // flush must not run it, nor claim the data durable.
        var laterFsyncs = new List<string>();
        failingLog.FsyncStarting = path =>
        {
            lock (laterFsyncs)
            {
                laterFsyncs.Add(path);
            }
        };
        disk.Release();
        flusher.Dispose(); // waits for the queued flush
        failingLog.Flush(); // an explicit one neither
        lock (laterFsyncs)
        {
            Assert.Empty(laterFsyncs);
        }

        Assert.Equal(0, failingLog.RecoveryPoint);
        Assert.Equal(BatchesPerSegment * RecordsPerBatch, busyLog.RecoveryPoint);
        busyLog.Close();
        failingLog.Close();
    }

    [Fact]
    public void A_flush_below_the_log_end_restarts_the_flush_ms_clock_and_a_roll_flush_does_not()
    {
        using var dir = new TempDirectory();
        using var flusher = new SegmentFlusher();
        var clock = new ManualClock();
        LogConfig config = Config() with { FlushMs = 1000 };
        PartitionLog log = PartitionLog.Open(LogTestKit.PartitionDir(dir), LogTestKit.Partition, config, clock, 0, true, 0, flusher);
        long opened = clock.UnixTimeMilliseconds;

        // A roll's background flush leaves the active segment unflushed: the clock runs on.
        clock.Advance(TimeSpan.FromMilliseconds(100));
        int tag = Fill(log, BatchesPerSegment + 1, 0);
        long sealedEnd = BatchesPerSegment * RecordsPerBatch;
        Assert.True(PollUntil(() => log.RecoveryPoint == sealedEnd, Bound), $"recovery point {log.RecoveryPoint}, expected {sealedEnd}");
        Assert.Equal(opened, log.LastFlushMs);

        // A flush to an offset picked before more appends landed (concurrent producers) is a flush
        // all the same: flush.ms counts from it, so the next append within flush.ms does not fsync.
        tag = Fill(log, 1, tag);
        clock.Advance(TimeSpan.FromMilliseconds(500)); // 600 ms since the clock started: not due yet
        long picked = log.LogEndOffset;
        tag = Fill(log, 1, tag);
        log.FlushUpTo(picked);
        Assert.Equal(picked, log.RecoveryPoint);
        Assert.Equal(clock.UnixTimeMilliseconds, log.LastFlushMs);

        clock.Advance(TimeSpan.FromMilliseconds(500)); // 1100 ms since open, 500 since the flush
        Fill(log, 1, tag);
        Assert.Equal(picked, log.RecoveryPoint);
        log.Close();
    }

    [Fact]
    public void A_throwing_offline_handler_does_not_stop_the_flusher_for_the_other_logs()
    {
        using var dir = new TempDirectory();
        using var flusher = new SegmentFlusher();
        var broken = new TopicPartition("events", 0);
        var healthy = new TopicPartition("events", 1);
        PartitionLog brokenLog = Open(dir.Combine(broken.DirectoryName), broken, flusher);
        PartitionLog healthyLog = Open(dir.Combine(healthy.DirectoryName), healthy, flusher);

        // A failure that is not an I/O error reaches the flush's last-resort catch, which takes the
        // log offline; a handler of that event throws out of it.
        brokenLog.FsyncStarting = _ => throw new InvalidOperationException("a bug in the flush");
        brokenLog.WentOffline += _ => throw new InvalidOperationException("a bug in a handler");
        Fill(brokenLog, BatchesPerSegment + 1, 0);
        Assert.True(PollUntil(() => brokenLog.IsOffline, Bound), "the broken log's roll flush never ran");

        // Queued after it: the flusher still runs it, and shuts down without throwing.
        Fill(healthyLog, BatchesPerSegment + 1, 0);
        long sealedEnd = BatchesPerSegment * RecordsPerBatch;
        Assert.True(PollUntil(() => healthyLog.RecoveryPoint == sealedEnd, Bound), $"recovery point {healthyLog.RecoveryPoint}, expected {sealedEnd}: the flusher stopped");
        flusher.Dispose();
        healthyLog.Close();
        brokenLog.Close();
    }

    [Fact]
    public void Flushes_of_the_active_segment_sync_the_directory_only_while_its_name_is_new()
    {
        using var dir = new TempDirectory();
        using var flusher = new SegmentFlusher();
        string partitionDir = LogTestKit.PartitionDir(dir);
        PartitionLog log = Open(partitionDir, LogTestKit.Partition, flusher);
        List<string> fsyncs = RecordFsyncs(log);
        List<string> Taken()
        {
            lock (fsyncs)
            {
                var taken = new List<string>(fsyncs);
                fsyncs.Clear();
                return taken;
            }
        }

        // A new log's first segment is a new name: its first flush syncs the directory too.
        int tag = Fill(log, 1, 0);
        log.Flush();
        Assert.Equal([LogFileNames.LogPath(partitionDir, 0), partitionDir], Taken());

        // Once that sync is done, flushing the same active segment syncs its data alone.
        tag = Fill(log, 1, tag);
        log.Flush();
        Assert.Equal([LogFileNames.LogPath(partitionDir, 0)], Taken());

        // A roll: its background flush syncs the directory after the new segment exists, which
        // covers the new active segment's name as well.
        tag = Fill(log, BatchesPerSegment, tag);
        long activeBase = log.Segments[^1].BaseOffset;
        Assert.True(PollUntil(() => log.RecoveryPoint == activeBase, Bound), $"recovery point {log.RecoveryPoint}, expected {activeBase}");
        Assert.Equal(partitionDir, Taken()[^1]);
        Fill(log, 1, tag);
        log.Flush();
        Assert.Equal([LogFileNames.LogPath(partitionDir, activeBase)], Taken());

        // Truncated to nothing, the log starts a new segment, a new name: the truncation syncs it
        // and the directory at once, so the next flush needs no directory fsync.
        log.TruncateFullyAndStartAt(activeBase + 100);
        Assert.Equal([LogFileNames.LogPath(partitionDir, activeBase + 100), partitionDir], Taken());
        Fill(log, 1, tag + 1);
        log.Flush();
        Assert.Equal([LogFileNames.LogPath(partitionDir, activeBase + 100)], Taken());
        log.Close();
    }

    [Fact]
    public void The_roll_snapshot_and_the_directory_are_fsynced_before_the_recovery_point_passes_the_sealed_segment()
    {
        using var dir = new TempDirectory();
        using var flusher = new SegmentFlusher();
        using var snapshotGate = new ManualResetEventSlim();
        using var snapshotFsyncStarted = new ManualResetEventSlim();
        string partitionDir = LogTestKit.PartitionDir(dir);
        PartitionLog log = Open(partitionDir, LogTestKit.Partition, flusher);
        List<string> fsyncs = RecordFsyncs(log, path =>
        {
            if (path.EndsWith(".snapshot", StringComparison.Ordinal))
            {
                snapshotFsyncStarted.Set();
                snapshotGate.Wait(TimeSpan.FromSeconds(60));
            }
        });
        try
        {
            Fill(log, BatchesPerSegment + 1, 0); // one roll: a snapshot at the new segment's base
            long sealedEnd = BatchesPerSegment * RecordsPerBatch;
            Assert.True(snapshotFsyncStarted.Wait(Bound), "the roll's producer snapshot was never fsynced");

            // The segment is synced but its snapshot is not yet: nothing is claimed.
            Assert.Equal(0, log.RecoveryPoint);
            snapshotGate.Set();
            Assert.True(PollUntil(() => log.RecoveryPoint == sealedEnd, Bound), $"recovery point {log.RecoveryPoint}, expected {sealedEnd}");
            lock (fsyncs)
            {
                Assert.Equal(
                    [LogFileNames.LogPath(partitionDir, 0), Path.Combine(partitionDir, LogFileNames.FileName(sealedEnd, ".snapshot")), partitionDir],
                    fsyncs);
            }
        }
        finally
        {
            snapshotGate.Set();
        }

        log.Close();
    }

    [Fact]
    public void A_failed_fsync_of_the_roll_snapshot_takes_the_log_offline_and_leaves_the_recovery_point()
    {
        using var dir = new TempDirectory();
        using var flusher = new SegmentFlusher();
        PartitionLog log = Open(LogTestKit.PartitionDir(dir), LogTestKit.Partition, flusher);
        log.FsyncStarting = path =>
        {
            if (path.EndsWith(".snapshot", StringComparison.Ordinal))
            {
                throw new IOException("Input/output error");
            }
        };

        Fill(log, BatchesPerSegment + 1, 0);
        Assert.True(PollUntil(() => log.IsOffline, Bound), "a failed snapshot fsync left the log online");
        flusher.Dispose();
        Assert.Equal(0, log.RecoveryPoint);
        log.Close();
    }

    /// <summary>Records the path of every fsync the log starts (lock the list to read it), then runs <paramref name="then"/>.</summary>
    private static List<string> RecordFsyncs(PartitionLog log, Action<string>? then = null)
    {
        var fsyncs = new List<string>();
        log.FsyncStarting = path =>
        {
            lock (fsyncs)
            {
                fsyncs.Add(path);
            }

            then?.Invoke(path);
        };
        return fsyncs;
    }

    private static LogConfig Config() =>
        LogConfig.Default with { SegmentBytes = LogTestKit.Batch(RecordsPerBatch, Timestamp).Length * BatchesPerSegment };

    private static PartitionLog Open(string partitionDir, TopicPartition id, SegmentFlusher flusher, long recoveryPoint = 0, bool clean = true) =>
        PartitionLog.Open(partitionDir, id, Config(), TimeProvider.System, recoveryPoint, clean, 0, flusher);

    /// <summary>Appends <paramref name="batches"/> batches of consecutive tags from <paramref name="tag"/>; returns the next tag.</summary>
    private static int Fill(PartitionLog log, int batches, int tag)
    {
        for (int i = 0; i < batches; i++, tag += RecordsPerBatch)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, Timestamp, tag), 0).Status);
        }

        return tag;
    }

    private static async Task<bool> CompletesWithin(Task task, TimeSpan bound) =>
        await Task.WhenAny(task, Task.Delay(bound)) == task;

    private static bool PollUntil(Func<bool> condition, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(5);
        }

        return true;
    }

    private static List<string> OpenFilesUnder(string path) =>
        (OpenFiles.Of() ?? throw new PlatformNotSupportedException("/proc/self/fd is Linux's")).FindAll(target => target.StartsWith(path, StringComparison.Ordinal));

    /// <summary>An fsync that blocks until released (bounded, so a failing test cannot hang the run).</summary>
    private sealed class SlowDisk : IDisposable
    {
        private readonly ManualResetEventSlim _released = new();
        private readonly List<string> _paths = [];

        public ManualResetEventSlim Started { get; } = new();

        public IReadOnlyList<string> Paths
        {
            get
            {
                lock (_paths)
                {
                    return [.. _paths];
                }
            }
        }

        public void Fsync(string path)
        {
            lock (_paths)
            {
                _paths.Add(path);
            }

            Started.Set();
            _released.Wait(TimeSpan.FromSeconds(60));
        }

        public void Release() => _released.Set();

        public void Dispose()
        {
            Release();
            _released.Dispose();
            Started.Dispose();
        }
    }
}
