using Samsa.Storage.Log;
using Samsa.Storage.Producers;
using Samsa.Storage.Tests.Producers;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// A clean close does only what the next start needs: a broker with thousands of idle partitions
/// must shut down in seconds (bench/fuzz.sh found one that took longer than 20 s).
/// </summary>
public sealed class PartitionLogCloseTests
{
    private static readonly DateTime LongAgo = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly ManualClock _clock = new();

    [Fact]
    public void A_close_syncs_and_snapshots_only_what_changed_since_the_last_one()
    {
        using var dir = new TempDirectory();
        string partitionDir = LogTestKit.PartitionDir(dir);

        // Empty: nothing to sync, nothing to replay at the next start.
        (PartitionLog log, List<string> synced) = Open(dir, recoveryPoint: 0);
        log.Close();
        Assert.Empty(synced);
        Assert.Empty(ProducerSnapshotFile.ListOffsets(partitionDir));

        // Appended: the log file is synced and the producer state snapshotted at the log end.
        (log, synced) = Open(dir, recoveryPoint: 0);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(ProducerTestKit.Batch(producerId: 7, epoch: 0, baseSequence: 0, count: 3), 0).Status);
        string active = ActiveLogFile(log);
        log.Close();
        Assert.Equal(active, SyncedFiles(synced));
        Assert.Equal([3L], ProducerSnapshotFile.ListOffsets(partitionDir));
        string snapshot = ProducerSnapshotFile.PathFor(partitionDir, 3);
        File.SetLastWriteTimeUtc(snapshot, LongAgo);

        // Reopened after that clean close and closed again with nothing appended: nothing to do.
        (log, synced) = Open(dir, recoveryPoint: 3);
        Assert.Equal(3, log.LogEndOffset);
        log.Close();
        Assert.Empty(synced);
        Assert.Equal(LongAgo, File.GetLastWriteTimeUtc(snapshot));

        // One more batch: synced and snapshotted again, and the producer's state survives it all.
        (log, synced) = Open(dir, recoveryPoint: 3);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(ProducerTestKit.Batch(producerId: 7, epoch: 0, baseSequence: 3, count: 2), 0).Status);
        active = ActiveLogFile(log); // the old batches' timestamps may have rolled it
        log.Close();
        Assert.Equal(active, SyncedFiles(synced));
        Assert.Contains(5L, ProducerSnapshotFile.ListOffsets(partitionDir));
        (log, _) = Open(dir, recoveryPoint: 5);
        Assert.Equal(LogAppendStatus.DuplicateSequence, log.AppendAsLeader(ProducerTestKit.Batch(producerId: 7, epoch: 0, baseSequence: 3, count: 2), 0).Status);
        log.Close();
    }

    [Fact]
    public void After_a_crash_the_close_snapshot_is_written_again_even_at_the_same_offset()
    {
        using var dir = new TempDirectory();
        string partitionDir = LogTestKit.PartitionDir(dir);
        (PartitionLog log, _) = Open(dir, recoveryPoint: 0);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(ProducerTestKit.Batch(producerId: 7, epoch: 0, baseSequence: 0, count: 3), 0).Status);
        log.Close();
        string snapshot = ProducerSnapshotFile.PathFor(partitionDir, 3);
        File.SetLastWriteTimeUtc(snapshot, LongAgo);

        // Not a clean start: the snapshot found at the log end may never have reached the disk.
        log = LogTestKit.Open(dir, LogConfig.Default, _clock, recoveryPoint: 0, clean: false);
        log.Close();
        Assert.NotEqual(LongAgo, File.GetLastWriteTimeUtc(snapshot));
    }

    private static string ActiveLogFile(PartitionLog log) => LogFileNames.FileName(log.Segments[^1].BaseOffset, LogFileNames.LogSuffix);

    private static string SyncedFiles(List<string> synced) => string.Join(", ", synced.Select(Path.GetFileName));

    private (PartitionLog Log, List<string> Synced) Open(TempDirectory dir, long recoveryPoint)
    {
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock, recoveryPoint);
        var synced = new List<string>();
        log.FsyncStarting = synced.Add;
        return (log, synced);
    }
}
