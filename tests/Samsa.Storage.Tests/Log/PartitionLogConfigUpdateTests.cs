using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>A topic config change reaches an open log: the next append, roll and retention pass use it.</summary>
public sealed class PartitionLogConfigUpdateTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void Lowering_max_message_bytes_refuses_the_next_large_batch()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        byte[] batch = LogTestKit.Batch(1, 1000, valueSize: 500);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(batch, 0).Status);

        log.UpdateConfig(LogConfig.Default with { MaxMessageBytes = 100 });

        Assert.Equal(100, log.Config.MaxMessageBytes);
        Assert.Equal(LogAppendStatus.MessageTooLarge, log.AppendAsLeader(LogTestKit.Batch(1, 1001, valueSize: 500), 0).Status);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(LogTestKit.Batch(1, 1002, valueSize: 4), 0).Status);
        log.Close();
    }

    [Fact]
    public void Smaller_segment_bytes_rolls_and_lower_retention_bytes_deletes_on_the_next_pass()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { RetentionMs = -1 }, _clock);
        for (int i = 0; i < 10; i++)
        {
            log.AppendAsLeader(LogTestKit.Batch(2, 1000, tag: 2 * i), 0);
        }

        Assert.Single(log.Segments);
        log.UpdateConfig(log.Config with { SegmentBytes = 200, RetentionBytes = 300 });
        for (int i = 10; i < 20; i++)
        {
            log.AppendAsLeader(LogTestKit.Batch(2, 1000, tag: 2 * i), 0);
        }

        Assert.True(log.Segments.Count > 2);
        log.DeleteOldSegments(long.MaxValue);
        Assert.True(log.LogStartOffset > 0);
        Assert.True(log.SizeInBytes < 300 + 200);
        log.Close();
    }

    [Fact]
    public void An_invalid_config_is_refused_and_the_old_one_stays()
    {
        using var dir = new TempDirectory();
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default, _clock);
        Assert.Throws<ArgumentException>(() => log.UpdateConfig(LogConfig.Default with { SegmentBytes = 1 }));
        Assert.Same(LogConfig.Default, log.Config);
        log.Close();
    }
}
