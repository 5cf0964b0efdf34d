using System.Diagnostics;
using System.Globalization;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// A busy active segment reserves disk blocks ahead of its end (fallocate, keeping the file's
/// length) so appends skip the file system's per-block allocation; the reservation never shows as
/// data and is given back when the segment is sealed, released while idle or closed, so disk usage
/// does not creep past what the log holds. Measured with the file's allocated blocks (stat).
/// </summary>
public sealed class SegmentSpaceReservationTests
{
    private const long Timestamp = 1_700_000_000_000;
    private const int Slack = 64 * 1024; // file-system block rounding and metadata

    // ≈ 256 KiB batches: the segment starts reserving at 1 MiB.
    private static readonly byte[] Sample = LogTestKit.Batch(250, Timestamp, valueSize: 1000);

    [Fact]
    public void A_busy_segment_reserves_ahead_and_a_roll_gives_the_sealed_segment_back_its_blocks()
    {
        Assert.True(OperatingSystem.IsLinux(), "reservation is a Linux feature; this test runs where it is built for");
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
        LogConfig config = LogConfig.Default with { SegmentMs = 60_000 };
        PartitionLog log = LogTestKit.Open(dir, config, clock);
        string first = LogFileNames.LogPath(LogTestKit.PartitionDir(dir), 0);

        Append(log, 3);
        Assert.True(Allocated(first) <= new FileInfo(first).Length + Slack, "a segment under 1 MiB reserved space");

        Append(log, 6);
        long length = new FileInfo(first).Length;
        Assert.True(Allocated(first) > length + Slack, $"no space reserved ahead: {Allocated(first)} allocated for {length} bytes");

        // Readers see exactly what was written: the file's length is the data's.
        Assert.Equal(log.LogEndOffset, LogTestKit.ReadAll(log).Count);

        clock.Advance(TimeSpan.FromMinutes(2));
        Append(log, 1);
        Assert.Equal(2, log.Segments.Count);
        Assert.Equal(length, new FileInfo(first).Length);
        Assert.True(Allocated(first) <= length + Slack, $"the sealed segment kept its reservation: {Allocated(first)} allocated for {length} bytes");
        log.Close();
    }

    [Fact]
    public void Idle_release_and_close_give_the_active_segment_back_its_reserved_blocks()
    {
        Assert.True(OperatingSystem.IsLinux(), "reservation is a Linux feature; this test runs where it is built for");
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, TimeProvider.System);
        string segment = LogFileNames.LogPath(LogTestKit.PartitionDir(dir), 0);

        Append(log, 8);
        Assert.True(Allocated(segment) > new FileInfo(segment).Length + Slack, "no space reserved ahead");
        log.ReleaseIdleResources();
        Assert.True(Allocated(segment) <= new FileInfo(segment).Length + Slack, "an idle release kept the reservation");

        // The next append reopens the file and reserves again; a clean close gives it back.
        Append(log, 4);
        Assert.True(Allocated(segment) > new FileInfo(segment).Length + Slack, "no space reserved after reopening");
        long end = log.LogEndOffset;
        log.Close();
        Assert.True(Allocated(segment) <= new FileInfo(segment).Length + Slack, "a clean close kept the reservation");

        // And nothing of it shows after a restart: the log ends where it ended.
        log = LogTestKit.Open(dir, LogConfig.Default, TimeProvider.System);
        Assert.Equal(end, log.LogEndOffset);
        Assert.Equal(end, LogTestKit.ReadAll(log).Count);
        log.Close();
    }

    [Fact]
    public void A_truncation_frees_the_reservation_and_appends_go_on_from_the_cut()
    {
        Assert.True(OperatingSystem.IsLinux(), "reservation is a Linux feature; this test runs where it is built for");
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, TimeProvider.System);
        string segment = LogFileNames.LogPath(LogTestKit.PartitionDir(dir), 0);
        Append(log, 8);

        log.TruncateTo(1000);
        Assert.Equal(1000, log.LogEndOffset);
        Assert.True(Allocated(segment) <= new FileInfo(segment).Length + Slack, "the truncation left reserved blocks");

        Append(log, 6);
        Assert.Equal(2500, log.LogEndOffset);
        Assert.Equal(2500, LogTestKit.ReadAll(log).Count);
        log.Close();
    }

    [Fact]
    public void Recovery_after_a_crash_gives_back_what_the_active_segment_had_reserved()
    {
        Assert.True(OperatingSystem.IsLinux(), "reservation is a Linux feature; this test runs where it is built for");
        using var dir = new TempDirectory();
        PartitionLog crashed = LogTestKit.Open(dir, LogConfig.Default, TimeProvider.System);
        string segment = LogFileNames.LogPath(LogTestKit.PartitionDir(dir), 0);
        Append(crashed, 6);
        long end = crashed.LogEndOffset;
        Assert.True(Allocated(segment) > new FileInfo(segment).Length + Slack, "no space reserved ahead");

        // No close: the process died. The next start recovers the segment and frees the blocks.
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, TimeProvider.System, recoveryPoint: 0, clean: false);
        Assert.Equal(end, log.LogEndOffset);
        Assert.True(Allocated(segment) <= new FileInfo(segment).Length + Slack, "recovery left the crashed segment's reserved blocks");
        Assert.Equal(end, LogTestKit.ReadAll(log).Count);
        log.Close();
    }

    private static void Append(PartitionLog log, int batches)
    {
        for (int i = 0; i < batches; i++)
        {
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader((byte[])Sample.Clone(), 0).Status);
        }
    }

    /// <summary>Bytes the file system allocated to the file (st_blocks × block unit), which a length does not show.</summary>
    private static long Allocated(string path)
    {
        var start = new ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true };
        using Process stat = Process.Start(start)!;
        string output = stat.StandardOutput.ReadToEnd();
        Assert.True(stat.WaitForExit(10_000), "stat did not finish");
        Assert.Equal(0, stat.ExitCode);
        string[] parts = output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[0], CultureInfo.InvariantCulture) * long.Parse(parts[1], CultureInfo.InvariantCulture);
    }
}
