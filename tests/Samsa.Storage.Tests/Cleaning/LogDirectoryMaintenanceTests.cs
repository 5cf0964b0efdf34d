using Samsa.Protocol.Primitives;
using Samsa.Storage.Log;
using Samsa.Testing;
using static Samsa.Storage.Tests.Cleaning.CleaningTestKit;

namespace Samsa.Storage.Tests.Cleaning;

public sealed class LogDirectoryMaintenanceTests
{
    private static readonly TopicPartition Compacted = new("compacted", 0);
    private static readonly TopicPartition Plain = new("plain", 0);

    [Fact]
    public void One_pass_compacts_applies_retention_flushes_and_releases_idle_logs()
    {
        using var dir = new TempDirectory("maintenance");
        var clock = new ManualClock();
        using LogDirectory logs = LogDirectory.Open(dir.Path, clock, _ => LogConfig.Default);
        PartitionLog compacted = logs.GetOrCreateLog(Compacted, default, Config with { CleanupPolicy = CleanupPolicy.Compact | CleanupPolicy.Delete, RetentionMs = -1 });
        // flush.ms above one append step (1,001 ms) and below two: the appends leave it to the pass.
        PartitionLog plain = logs.GetOrCreateLog(Plain, default, Config with { CleanupPolicy = CleanupPolicy.Delete, RetentionMs = 5_000, FlushMs = 1_500 });
        Append(compacted, clock, Batch(clock.UnixTimeMilliseconds, ("a", 1)));
        Append(compacted, clock, Batch(clock.UnixTimeMilliseconds, ("a", 2)));
        Append(compacted, clock, Batch(clock.UnixTimeMilliseconds, ("tail", 2)));
        Append(plain, clock, Batch(clock.UnixTimeMilliseconds - 10_000, ("old", 1)));
        Append(plain, clock, Batch(clock.UnixTimeMilliseconds, ("new", 1)));

        MaintenanceResult first = logs.RunMaintenance(clock.UnixTimeMilliseconds, id => logs.GetLog(id)!.LogEndOffset, idleAfterMs: 60_000);

        Assert.Equal(1, first.LogsCompacted);
        Assert.Equal(1, first.SegmentsDeleted);
        Assert.Equal(1, first.LogsFlushed);
        Assert.Equal(0, first.LogsReleased);
        Assert.Equal([(1L, "a", 2), (2L, "tail", 2)], ReadAll(compacted).Select(r => (r.Offset, r.Key, r.Value ?? -1)).ToArray());
        Assert.Equal(1, plain.LogStartOffset);
        Assert.Equal(plain.LogEndOffset, plain.RecoveryPoint);
        Assert.Equal(2, logs.Cleaner.FirstDirtyOffset(Compacted));

        // Nothing moved for the idle time: handles opened by reads are released.
        clock.Advance(TimeSpan.FromMinutes(2));
        ReadAll(plain);
        MaintenanceResult second = logs.RunMaintenance(clock.UnixTimeMilliseconds, id => logs.GetLog(id)!.LogEndOffset, idleAfterMs: 60_000);
        Assert.Equal(0, second.LogsCompacted);
        Assert.True(second.LogsReleased >= 1);
        Assert.Equal(0, plain.ResourceUsage.OpenHandles);
    }

    [Fact]
    public void The_cleaner_checkpoint_survives_a_restart_and_goes_with_the_log()
    {
        using var dir = new TempDirectory("maintenance");
        var clock = new ManualClock();
        LogConfig config = Config;
        using (LogDirectory logs = LogDirectory.Open(dir.Path, clock, _ => config))
        {
            PartitionLog log = logs.GetOrCreateLog(Compacted, default, config);
            Append(log, clock, Batch(1, ("a", 1)));
            Append(log, clock, Batch(2, ("a", 2)));
            logs.RunMaintenance(clock.UnixTimeMilliseconds, _ => long.MaxValue);
        }

        Assert.Contains("compacted 0 1", File.ReadAllText(Path.Combine(dir.Path, "cleaner-offset-checkpoint")), StringComparison.Ordinal);
        using (LogDirectory logs = LogDirectory.Open(dir.Path, clock, _ => config))
        {
            Assert.Equal(1, logs.Cleaner.FirstDirtyOffset(Compacted));
            logs.DeleteLog(Compacted);
            Assert.Null(logs.Cleaner.FirstDirtyOffset(Compacted));
        }
    }
}
