using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Partitions;
using Samsa.Broker.Tests.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Partitions;

/// <summary>
/// A full disk when a LeaderAndIsr creates a replica's log is not a broken disk: that partition
/// answers KAFKA_STORAGE_ERROR, but it is not marked offline, and the next LeaderAndIsr after
/// space returns creates the log and the replica serves (docs/reliability.md, "Disk faults").
/// A real tmpfs of fixed size gives the ENOSPC.
/// </summary>
public sealed class FullDiskReplicaCreationTests
{
    private const string Topic = "full";
    private const int BrokerId = 1;

    [SkippableFact]
    public void A_replica_created_on_a_full_disk_answers_storage_error_and_comes_online_when_space_returns()
    {
        using TmpfsMount? fs = TmpfsMount.TryMount(2 << 20, out string? refusal);
        Skip.If(fs is null, refusal);
        using LogDirectory logs = LogDirectory.Open(Path.Combine(fs.Path, "logs"), TimeProvider.System, _ => LogConfig.Default);
        var partitions = new LocalPartitions(BrokerId, logs, _ => LogConfig.Default, NullLogger.Instance);
        var id = new TopicPartition(Topic, 0);
        Uuid topicId = Uuid.NewRandom();
        fs.Fill();

        // partition.metadata cannot be written: ENOSPC.
        Assert.Equal(ErrorCode.KafkaStorageError, Apply(partitions, topicId, leaderEpoch: 0));
        Assert.Null(partitions.Get(id));
        Assert.False(partitions.AnyOffline);
        Assert.False(partitions.IsOffline(id));
        Assert.False(partitions.IsOffline(Topic, 0));

        // Still full: a later LeaderAndIsr for it fails the same way, and still nothing is offline. (The
        // controller does not resend: it counts the replica offline until a LeaderAndIsr for it is
        // answered NONE or the broker restarts.)
        Assert.Equal(ErrorCode.KafkaStorageError, Apply(partitions, topicId, leaderEpoch: 0));
        Assert.False(partitions.IsOffline(id));

        fs.FreeFiller();
        Assert.Equal(ErrorCode.None, Apply(partitions, topicId, leaderEpoch: 0));
        Partition partition = Assert.IsType<Partition>(partitions.Get(id));
        Assert.False(partitions.AnyOffline);
        Assert.False(partitions.IsOffline(Topic, 0));
        Assert.Equal(topicId, LogDirectory.TopicIdOf(partition.Log));
        Assert.Equal(LogAppendStatus.Success, partition.Log.AppendAsLeader(PartitionTestBed.Batch(1), 0).Status);
        Assert.Equal(1, partition.Log.LogEndOffset);
    }

    [Fact]
    public void A_replica_whose_log_cannot_be_created_for_another_reason_stays_offline()
    {
        using var dir = new TempDirectory("offline-create");
        using LogDirectory logs = LogDirectory.Open(dir.Path, TimeProvider.System, _ => LogConfig.Default);
        var partitions = new LocalPartitions(BrokerId, logs, _ => LogConfig.Default, NullLogger.Instance);
        var id = new TopicPartition(Topic, 0);

        // The partition's path is taken by a file: creating its directory fails (not a full disk).
        File.WriteAllText(dir.Combine(id.DirectoryName), "in the way");
        Assert.Equal(ErrorCode.KafkaStorageError, Apply(partitions, Uuid.NewRandom(), leaderEpoch: 0));
        Assert.True(partitions.AnyOffline);
        Assert.True(partitions.IsOffline(Topic, 0));
        Assert.True(logs.IsOffline(id));

        // Removing the cause does not bring it back behind the operator's back (a restart does), ...
        File.Delete(dir.Combine(id.DirectoryName));
        Assert.Equal(ErrorCode.KafkaStorageError, Apply(partitions, Uuid.NewRandom(), leaderEpoch: 0));
        Assert.True(partitions.IsOffline(id));

        // ... and deleting the topic clears it.
        logs.DeleteLog(id);
        Assert.False(partitions.AnyOffline);
        Assert.False(partitions.IsOffline(id));
    }

    [Fact]
    public void A_log_that_goes_offline_while_its_replica_is_created_is_reported_offline()
    {
        using var dir = new TempDirectory("offline-create");
        using LogDirectory logs = LogDirectory.Open(dir.Path, TimeProvider.System, _ => LogConfig.Default);
        var partitions = new LocalPartitions(BrokerId, logs, _ => LogConfig.Default, NullLogger.Instance);
        var id = new TopicPartition(Topic, 0);
        Uuid topicId = Uuid.NewRandom();
        var reported = new List<TopicPartition>();
        partitions.ReplicaWentOffline += reported.Add;

        // A log from before (loaded at start) whose segment file cannot be read any more (EISDIR)
        // and that no read has touched yet: online until one does.
        PartitionLog log = logs.GetOrCreateLog(id, topicId, LogConfig.Default);
        Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(PartitionTestBed.Batch(1), 0).Status);
        BrokenSegment.Break(log);

        // It goes offline after LeaderAndIsr checked it and before the broker listens to its event.
        partitions.LogOpened = opened => Assert.Equal(LogReadStatus.StorageError, opened.Read(0, 1 << 20, long.MaxValue, minOneBatch: true).Status);
        Assert.Equal(ErrorCode.KafkaStorageError, Apply(partitions, topicId, leaderEpoch: 0));
        Assert.Equal([id], reported);
        Assert.True(partitions.IsOffline(id));

        // Reported once: a later LeaderAndIsr answers the same without another report.
        Assert.Equal(ErrorCode.KafkaStorageError, Apply(partitions, topicId, leaderEpoch: 1));
        Assert.Equal([id], reported);
    }

    private static ErrorCode Apply(LocalPartitions partitions, Uuid topicId, int leaderEpoch)
    {
        var request = new LeaderAndIsrRequestData { ControllerId = BrokerId, ControllerEpoch = 1 };
        request.TopicStates.Add(new LeaderAndIsrRequestData.LeaderAndIsrTopicState
        {
            TopicName = Topic,
            TopicId = topicId,
            PartitionStates =
            [
                new LeaderAndIsrRequestData.LeaderAndIsrPartitionState
                {
                    PartitionIndex = 0,
                    ControllerEpoch = 1,
                    Leader = BrokerId,
                    LeaderEpoch = leaderEpoch,
                    PartitionEpoch = 0,
                    Replicas = [BrokerId],
                    Isr = [BrokerId],
                },
            ],
        });
        LeaderAndIsrResponseData response = partitions.ApplyLeaderAndIsr(request);
        Assert.Equal(0, response.ErrorCode);
        return (ErrorCode)response.Topics[0].PartitionErrors[0].ErrorCode;
    }
}
