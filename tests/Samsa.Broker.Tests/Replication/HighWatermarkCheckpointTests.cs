using Samsa.Broker.Partitions;
using Samsa.Broker.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Replication;

/// <summary>replication-offset-checkpoint: a replica recreated after a restart starts from its last high watermark.</summary>
public sealed class HighWatermarkCheckpointTests
{
    private static readonly TopicPartition Id = new("checkpointed", 0);

    [Fact]
    public void A_replica_recreated_after_a_restart_starts_from_the_checkpointed_high_watermark()
    {
        using var dir = new TempDirectory("hw-checkpoint");
        var clock = new ManualClock();
        Uuid topicId = Uuid.NewRandom();
        using (LogDirectory logs = LogDirectory.Open(dir.Path, clock, _ => LogConfig.Default))
        {
            var checkpoint = new HighWatermarkCheckpoint(dir.Path);
            Partition p = Create(logs, topicId, clock, checkpoint);
            p.ApplyLeadership(1, 1, 0, [1, 2], [1, 2]);
            Assert.Equal(ErrorCode.None, p.AppendAsLeader(PartitionTestBed.Batch(3), -1, 1).Error);
            p.UpdateFollowerFetchState(2, 3, 0, 3);
            Assert.Equal(ErrorCode.None, p.AppendAsLeader(PartitionTestBed.Batch(5), -1, 1).Error);
            Assert.Equal(3, p.HighWatermark);
            checkpoint.Write([p]);
        }

        using (LogDirectory logs = LogDirectory.Open(dir.Path, clock, _ => LogConfig.Default))
        {
            var checkpoint = new HighWatermarkCheckpoint(dir.Path);
            Assert.Equal(3, checkpoint.Initial(Id));
            Partition p = Create(logs, topicId, clock, checkpoint);
            Assert.Equal(8, p.LogEndOffset);
            Assert.Equal(3, p.HighWatermark);
        }
    }

    [Fact]
    public void Without_a_checkpoint_a_replica_starts_at_its_log_start()
    {
        using var dir = new TempDirectory("hw-checkpoint");
        var clock = new ManualClock();
        using LogDirectory logs = LogDirectory.Open(dir.Path, clock, _ => LogConfig.Default);
        var checkpoint = new HighWatermarkCheckpoint(dir.Path);
        Assert.Null(checkpoint.Initial(Id));
        Assert.Equal(0, Create(logs, Uuid.NewRandom(), clock, checkpoint).HighWatermark);
    }

    private static Partition Create(LogDirectory logs, Uuid topicId, ManualClock clock, HighWatermarkCheckpoint checkpoint) =>
        new(Id, topicId, logs.GetOrCreateLog(Id, topicId, LogConfig.Default), 1, new ReplicationContext(clock, 30_000, new PartitionTestBed.RecordingSubmitter()) { HighWatermarks = checkpoint });
}
