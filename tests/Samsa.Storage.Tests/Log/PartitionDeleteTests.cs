using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// Deleting a partition while a read still holds a segment's file (the lease a read in flight
/// takes, as <see cref="LogReadInfo.ReadAsync"/> does across its await): the delete neither throws
/// nor waits, the read in flight finishes with the right bytes, every file of the partition is
/// gone from the log dir, and the OS handle closes when the reader lets go. This is what crashes
/// Kafka on Windows (PartitionLog.RemoveDirectory says what Windows needs and what we do); the
/// descriptor checks run where the OS shows them (/proc/self/fd).
/// </summary>
public sealed class PartitionDeleteTests
{
    [Fact]
    public void A_partition_deleted_under_a_reader_leaves_no_file_and_its_handle_closes_on_release()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
        var config = LogConfig.Default with { SegmentBytes = 1000, FileDeleteDelayMs = 60_000 };
        PartitionLog log = LogTestKit.Open(dir, config, clock);
        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(2, clock.UnixTimeMilliseconds, tag: i * 2, valueSize: 100), 0).Status);
        }

        // Segments already out of the log (DeleteRecords) and waiting out their delay as *.deleted, too.
        Assert.True(log.DeleteRecordsBefore(10));
        Assert.Contains(Directory.GetFiles(LogTestKit.PartitionDir(dir)), path => path.EndsWith(LogFileNames.DeletedSuffix, StringComparison.Ordinal));

        LogReadInfo held = log.Read(20, 4096, log.LogEndOffset, minOneBatch: true);
        Assert.True(held.Length > 0);
        string segmentName = Path.GetFileName(held.Segment!.LogPath);
        SafeFileHandle lease = held.Segment.AcquireHandle()!;
        Assert.NotNull(lease);
        Assert.Equal(1, OpenDescriptors(dir.Path, segmentName) ?? 1);

        log.Delete();

        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));

        // The read in flight completes on its lease, with whole valid batches.
        byte[] bytes = new byte[held.Length];
        Assert.Equal(held.Length, RandomAccess.Read(lease, bytes, held.Position));
        Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(bytes.AsSpan(0, (int)new RecordBatchHeader(bytes).SizeInBytes)));
        Assert.Equal(1, OpenDescriptors(dir.Path, segmentName) ?? 1);

        lease.DangerousRelease();
        Assert.Equal(0, OpenDescriptors(dir.Path, segmentName) ?? 0);

        // Reads that start after the delete come back empty instead of throwing.
        Assert.Equal(0, held.CopyTo(new byte[held.Length]));
        Assert.Equal(LogReadStatus.LogClosed, log.Read(20, 4096, long.MaxValue, minOneBatch: true).Status);
        log.Delete();
    }

    [Fact]
    public void A_partition_can_be_created_again_at_once_after_its_delete()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, clock);
        log.AppendAsLeader(LogTestKit.Batch(5, clock.UnixTimeMilliseconds), 0);
        log.Delete();

        PartitionLog again = LogTestKit.Open(dir, LogConfig.Default, clock);
        Assert.Equal(0, again.LogEndOffset);
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
        again.Close();
    }

    [Fact]
    public void What_a_delete_could_not_remove_is_removed_by_a_later_maintenance_pass_and_never_stops_the_delete()
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
        using LogDirectory logs = LogDirectory.Open(dir.Path, clock, _ => LogConfig.Default);
        PartitionLog log = logs.GetOrCreateLog(LogTestKit.Partition, default, LogConfig.Default);
        log.AppendAsLeader(LogTestKit.Batch(5, clock.UnixTimeMilliseconds), 0);
        string partitionDir = LogTestKit.PartitionDir(dir);

        // Something else holds a file in the partition (on Windows: a virus scanner, a backup).
        using (HeldFile.Create(logs, dir.Path, partitionDir))
        {
            logs.DeleteLog(LogTestKit.Partition);

            // The delete did not throw; the partition's name is free again, what is left is renamed away.
            Assert.False(Directory.Exists(partitionDir));
            string leftover = Assert.Single(Directory.GetDirectories(dir.Path), d => d.EndsWith("-delete", StringComparison.Ordinal));
            PartitionLog again = logs.GetOrCreateLog(LogTestKit.Partition, default, LogConfig.Default);
            again.AppendAsLeader(LogTestKit.Batch(3, clock.UnixTimeMilliseconds), 0);

            logs.RunMaintenance(clock.UnixTimeMilliseconds, _ => long.MaxValue);
            Assert.True(Directory.Exists(leftover), "the held leftover vanished while still held: the test proves nothing");
        }

        // Let go: the next pass removes it, and leaves the partition created again alone.
        logs.RunMaintenance(clock.UnixTimeMilliseconds, _ => long.MaxValue);
        Assert.DoesNotContain(Directory.GetFileSystemEntries(dir.Path), e => e.EndsWith("-delete", StringComparison.Ordinal));
        Assert.True(Directory.Exists(partitionDir));
        Assert.Equal(3, logs.GetLog(LogTestKit.Partition)!.LogEndOffset);
    }

    /// <summary>
    /// How many of this process's file descriptors point at <paramref name="fileName"/> under
    /// <paramref name="root"/> (deleted or not); null where /proc/self/fd does not exist.
    /// </summary>
    private static int? OpenDescriptors(string root, string fileName) =>
        OpenFiles.Of()?.Count(target => target.StartsWith(root, StringComparison.Ordinal) && target.Contains(fileName, StringComparison.Ordinal));

    /// <summary>
    /// A file in a partition directory that cannot be deleted until let go, as Windows refuses a
    /// file another process holds open. Held by the OS where it offers a way: as root the immutable
    /// attribute (chattr +i, e2fsprogs, Debian's "required"), which stops root too; as another user a
    /// read-only directory around it. Where it offers none (Windows; root without
    /// CAP_LINUX_IMMUTABLE, as in a default container) the log dir's delete seam refuses any tree
    /// holding it. Let go wherever the directory was renamed to under the log dir.
    /// </summary>
    private sealed class HeldFile : IDisposable
    {
        private const string Name = "held";
        private readonly LogDirectory _logs;
        private readonly string _root;
        private readonly bool _bySeam;
        private bool _released;

        private HeldFile(LogDirectory logs, string root, bool bySeam)
        {
            _logs = logs;
            _root = root;
            _bySeam = bySeam;
        }

        /// <summary>Holds a file named "held" in <paramref name="dir"/>, a partition of <paramref name="logs"/> at <paramref name="root"/>.</summary>
        public static HeldFile Create(LogDirectory logs, string root, string dir)
        {
            string path = Path.Combine(dir, Name);
            if (OperatingSystem.IsWindows() || (Environment.IsPrivilegedProcess && !TryChattr("+i", WriteFile(path))))
            {
                WriteFile(path);
                logs.DeleteTree = tree => !File.Exists(Path.Combine(tree, Name)) && PartitionLog.TryDeleteTree(tree);
                return new HeldFile(logs, root, bySeam: true);
            }

            if (!Environment.IsPrivilegedProcess)
            {
                Directory.CreateDirectory(path);
                WriteFile(Path.Combine(path, "file"));
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }

            return new HeldFile(logs, root, bySeam: false);
        }

        public void Dispose()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            if (_bySeam || OperatingSystem.IsWindows())
            {
                _logs.DeleteTree = PartitionLog.TryDeleteTree;
                return;
            }

            foreach (string path in Directory.EnumerateFileSystemEntries(_root, Name, SearchOption.AllDirectories))
            {
                if (Environment.IsPrivilegedProcess)
                {
                    Assert.True(TryChattr("-i", path), $"chattr -i {path} failed");
                }
                else
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
        }

        private static string WriteFile(string path)
        {
            File.WriteAllText(path, Name);
            return path;
        }

        /// <summary>False where chattr is missing or refused (no CAP_LINUX_IMMUTABLE, a file system without the attribute).</summary>
        private static bool TryChattr(string flag, string path)
        {
            try
            {
                using var chattr = System.Diagnostics.Process.Start(ProcessRun.Redirected("chattr", [flag, path]))!;
                chattr.StandardInput.Close();
                return chattr.WaitForExit(TimeSpan.FromSeconds(10)) && chattr.ExitCode == 0;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return false; // not installed
            }
        }
    }
}
