using Samsa.Storage.Checkpoints;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// Disk faults at the log: a full file system (a real tmpfs of fixed size) fails only the append
/// that hit it, leaves no torn bytes and no stray index entries, and the log takes appends again
/// once space is back, without reopening; unreadable files take one partition offline and leave
/// the others (and the log dir) working.
/// </summary>
public sealed class DiskFullTests
{
    private const int RecordsPerBatch = 10;
    private const int ValueSize = 1000;
    private static readonly TopicPartition Id = LogTestKit.Partition;

    [SkippableFact]
    public void A_full_disk_fails_the_append_whole_and_appends_resume_when_space_returns()
    {
        using TmpfsMount? fs = TmpfsMount.TryMount(4 << 20, out string? refusal);
        Skip.If(fs is null, refusal);
        string dir = Path.Combine(fs.Path, Id.DirectoryName);
        PartitionLog log = PartitionLog.Open(dir, Id, LogConfig.Default, TimeProvider.System, 0, hadCleanShutdown: true);
        int tag = 0;
        for (int i = 0; i < 10; i++, tag += RecordsPerBatch)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, tag, ValueSize), 0).Status);
        }

        long end = log.LogEndOffset;
        fs.Fill();

        // 100 KB: a short write fills the last page, then ENOSPC.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            LogAppendInfo failed = log.AppendAsLeader(LogTestKit.Batch(100, 1_700_000_000_000, 10_000, ValueSize), 0);
            Assert.Equal(LogAppendStatus.OutOfSpace, failed.Status);
            Assert.Equal(end, log.LogEndOffset);
            Assert.False(log.IsOffline);
            Assert.Equal(log.SizeInBytes, SegmentFileBytes(dir)); // the torn part was cut off
        }

        Assert.Equal(Enumerable.Range(0, (int)end).Select(i => ((long)i, i)), LogTestKit.ReadAll(log));

        fs.FreeFiller();
        LogAppendInfo appended = log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, tag, ValueSize), 0);
        Assert.Equal(LogAppendStatus.Success, appended.Status);
        Assert.Equal(end, appended.FirstOffset);
        log.Close();

        PartitionLog reopened = PartitionLog.Open(dir, Id, LogConfig.Default, TimeProvider.System, 0, hadCleanShutdown: false);
        Assert.Equal(Enumerable.Range(0, (int)end + RecordsPerBatch).Select(i => ((long)i, i)), LogTestKit.ReadAll(reopened));
        reopened.Close();
    }

    [SkippableFact]
    public void A_roll_on_a_full_disk_fails_the_append_and_the_log_rolls_and_appends_after_space_returns()
    {
        using TmpfsMount? fs = TmpfsMount.TryMount(4 << 20, out string? refusal);
        Skip.If(fs is null, refusal);
        string dir = Path.Combine(fs.Path, Id.DirectoryName);
        byte[] sample = LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, 0, ValueSize);
        LogConfig config = LogConfig.Default with { SegmentBytes = sample.Length * 4, IndexIntervalBytes = 0 };
        PartitionLog log = PartitionLog.Open(dir, Id, config, TimeProvider.System, 0, hadCleanShutdown: true);
        int tag = 0;
        for (int i = 0; i < 8; i++, tag += RecordsPerBatch)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, tag, ValueSize), 0).Status);
        }

        // The active segment is full (four batches), so the next append rolls: its index save and
        // producer snapshot meet the full disk, then its write does. Append until one fails.
        fs.Fill();
        LogAppendStatus status = LogAppendStatus.Success;
        for (int i = 0; i < 8 && status == LogAppendStatus.Success; i++)
        {
            status = log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, tag, ValueSize), 0).Status;
            if (status == LogAppendStatus.Success)
            {
                tag += RecordsPerBatch;
            }
        }

        Assert.Equal(LogAppendStatus.OutOfSpace, status);
        Assert.False(log.IsOffline);
        Assert.Equal(tag, log.LogEndOffset);
        Assert.Equal(Enumerable.Range(0, tag).Select(i => ((long)i, i)), LogTestKit.ReadAll(log));

        fs.FreeFiller();
        for (int i = 0; i < 6; i++, tag += RecordsPerBatch)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, tag, ValueSize), 0).Status);
        }

        Assert.True(log.Segments.Count >= 4);
        log.Close();

        // Unclean on purpose: every batch is validated and every index rebuilt or checked.
        PartitionLog reopened = PartitionLog.Open(dir, Id, config, TimeProvider.System, 0, hadCleanShutdown: false);
        Assert.Equal(Enumerable.Range(0, tag).Select(i => ((long)i, i)), LogTestKit.ReadAll(reopened));
        for (int offset = 0; offset < tag; offset += 7)
        {
            LogReadInfo read = reopened.Read(offset, 1, long.MaxValue, minOneBatch: true);
            byte[] bytes = new byte[read.Length];
            read.CopyTo(bytes);
            Assert.Contains(LogTestKit.Records(bytes), r => r.Offset == offset);
        }

        reopened.Close();
    }

    [SkippableFact]
    public void Checkpoints_on_a_full_disk_fail_without_harm_and_a_shutdown_then_is_not_marked_clean()
    {
        using TmpfsMount? fs = TmpfsMount.TryMount(4 << 20, out string? refusal);
        Skip.If(fs is null, refusal);
        string logDir = Path.Combine(fs.Path, "logs");
        LogDirectory logs = LogDirectory.Open(logDir, TimeProvider.System, _ => LogConfig.Default);
        PartitionLog log = logs.GetOrCreateLog(Id, Samsa.Protocol.Primitives.Uuid.Zero, LogConfig.Default);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, 0, ValueSize), 0).Status);
        logs.Checkpoint();
        fs.Fill();

        // A new leader epoch must be checkpointed before the write: it cannot be, so the append fails.
        Assert.Equal(LogAppendStatus.OutOfSpace, log.AppendAsLeader(LogTestKit.Batch(1, 1_700_000_000_000, 99, ValueSize), 7).Status);
        Assert.Throws<StorageException>(logs.Checkpoint);
        logs.Dispose(); // does not throw: see A_shutdown_on_a_full_disk_...
        Assert.False(CleanShutdownFile.Exists(logDir));

        fs.FreeFiller();
        LogDirectory reopened = LogDirectory.Open(logDir, TimeProvider.System, _ => LogConfig.Default);
        Assert.False(reopened.HadCleanShutdown);
        Assert.Equal(Enumerable.Range(0, RecordsPerBatch).Select(i => ((long)i, i)), LogTestKit.ReadAll(reopened.GetLog(Id)!));
        reopened.Dispose();
    }

    [SkippableFact]
    public void A_shutdown_on_a_full_disk_closes_what_it_can_releases_the_lock_warns_once_and_is_not_marked_clean()
    {
        using TmpfsMount? fs = TmpfsMount.TryMount(4 << 20, out string? refusal);
        Skip.If(fs is null, refusal);
        string logDir = Path.Combine(fs.Path, "logs");
        var logger = new RecordingLogger();
        var other = new TopicPartition("events", 1);
        LogConfig config = LogConfig.Default with { IndexIntervalBytes = 0 };
        LogDirectory logs = LogDirectory.Open(logDir, TimeProvider.System, _ => config, logger: logger);
        int tag = 0;
        foreach (TopicPartition id in new[] { Id, other })
        {
            PartitionLog log = logs.GetOrCreateLog(id, Samsa.Protocol.Primitives.Uuid.Zero, config);
            for (int i = 0; i < 5; i++, tag += RecordsPerBatch)
            {
                Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, tag, ValueSize), 0).Status);
            }
        }

        logs.Checkpoint();
        fs.Fill();

        // Index files, producer snapshots, checkpoints and the marker all meet ENOSPC; none of it throws.
        logs.Dispose();

        Assert.False(CleanShutdownFile.Exists(logDir));
        (Microsoft.Extensions.Logging.LogLevel level, string message) = Assert.Single(logger.Entries);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, level);
        Assert.Contains(logDir, message, StringComparison.Ordinal);
        Assert.Contains(OffsetCheckpointFile.RecoveryPointFileName, message, StringComparison.Ordinal);

        // The lock is released: the same process opens the dir again at once, and recovers (no marker).
        fs.FreeFiller();
        using LogDirectory reopened = LogDirectory.Open(logDir, TimeProvider.System, _ => config);
        Assert.False(reopened.HadCleanShutdown);
        Assert.Equal(Enumerable.Range(0, 5 * RecordsPerBatch).Select(i => ((long)i, i)), LogTestKit.ReadAll(reopened.GetLog(Id)!));
        Assert.Equal(Enumerable.Range(5 * RecordsPerBatch, 5 * RecordsPerBatch).Select(i => ((long)(i - (5 * RecordsPerBatch)), i)), LogTestKit.ReadAll(reopened.GetLog(other)!));
    }

    [Fact]
    public void Unreadable_partitions_stay_offline_at_open_and_the_others_load()
    {
        using var dir = new TempDirectory("offline");
        var good = new TopicPartition("events", 0);
        var segmentIsDirectory = new TopicPartition("events", 1);
        var pathIsFile = new TopicPartition("events", 2);
        using (LogDirectory logs = LogDirectory.Open(dir.Path, TimeProvider.System, _ => LogConfig.Default))
        {
            foreach (TopicPartition id in new[] { good, segmentIsDirectory })
            {
                PartitionLog log = logs.GetOrCreateLog(id, Samsa.Protocol.Primitives.Uuid.Zero, LogConfig.Default);
                Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000), 0).Status);
            }
        }

        string segment = LogFileNames.LogPath(dir.Combine(segmentIsDirectory.DirectoryName), 0);
        File.Delete(segment);
        Directory.CreateDirectory(segment);
        File.WriteAllText(dir.Combine(pathIsFile.DirectoryName), "not a partition");

        using (LogDirectory logs = LogDirectory.Open(dir.Path, TimeProvider.System, _ => LogConfig.Default))
        {
            Assert.Equal(RecordsPerBatch, LogTestKit.ReadAll(logs.GetLog(good)!).Count);
            IReadOnlyDictionary<TopicPartition, string> offline = logs.OfflineLogs;
            Assert.Equal(2, offline.Count);
            Assert.Contains("is a directory", offline[segmentIsDirectory], StringComparison.Ordinal);
            Assert.Contains("is not a directory", offline[pathIsFile], StringComparison.Ordinal);
            Assert.Null(logs.GetLog(segmentIsDirectory));

            // No fresh log over what could not be read.
            Assert.Throws<StorageException>(() => logs.GetOrCreateLog(segmentIsDirectory, Samsa.Protocol.Primitives.Uuid.Zero, LogConfig.Default));
            Assert.True(Directory.Exists(segment));
            Assert.True(File.Exists(dir.Combine(pathIsFile.DirectoryName)));
        }

        // An offline partition makes the shutdown unclean: the next start validates rather than trusts.
        Assert.False(CleanShutdownFile.Exists(dir.Path));
    }

    [Fact]
    public void A_read_that_fails_takes_the_log_offline_once()
    {
        using var dir = new TempDirectory("offline-run");
        byte[] sample = LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000);
        LogConfig config = LogConfig.Default with { SegmentBytes = sample.Length * 2 };
        PartitionLog log = LogTestKit.Open(dir, config, TimeProvider.System);
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(RecordsPerBatch, 1_700_000_000_000, i * RecordsPerBatch), 0).Status);
        }

        int raised = 0;
        log.WentOffline += _ => raised++;

        // The rolls queued background fsyncs of the sealed segments; finish them first, or one
        // could meet the broken file below and take the log offline for its fsync, not the read.
        log.Flush();
        log.ReleaseIdleResources();
        string first = LogFileNames.LogPath(LogTestKit.PartitionDir(dir), 0);
        File.Delete(first);
        Directory.CreateDirectory(first); // opening it now fails (EISDIR), as an unreadable file would

        Assert.Equal(LogReadStatus.StorageError, log.Read(0, 1 << 20, long.MaxValue, minOneBatch: true).Status);
        Assert.True(log.IsOffline);
        Assert.Contains("read failed", log.OfflineReason, StringComparison.Ordinal);
        Assert.Equal(LogReadStatus.StorageError, log.Read(40, 1 << 20, long.MaxValue, minOneBatch: true).Status);
        Assert.Equal(LogAppendStatus.Offline, log.AppendAsLeader(LogTestKit.Batch(1, 1_700_000_000_000), 0).Status);
        Assert.Equal(1, raised);
        log.Close();
    }

    private static long SegmentFileBytes(string dir)
    {
        long total = 0;
        foreach (string file in Directory.GetFiles(dir, "*" + LogFileNames.LogSuffix))
        {
            total += new FileInfo(file).Length;
        }

        return total;
    }
}
