using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// Two brokers' replication over real sockets: the follower's fetcher copies the leader's log
/// byte for byte, both high watermarks move, a follower with a divergent tail truncates after a
/// leader change, a follower behind the leader's log start starts over there, and a dead
/// follower leaves the ISR so acks=all produces complete.
/// </summary>
public sealed class ReplicaFetcherTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Acks_all_writes_reach_the_follower_byte_for_byte_and_move_both_high_watermarks()
    {
        var controller = new TestController();
        await using ReplicaNode one = ReplicaNode.Start(1, controller);
        await using ReplicaNode two = ReplicaNode.Start(2, controller);
        var id = new TopicPartition("replicated", 0);
        Uuid topicId = Uuid.NewRandom();
        StartPartition(controller, id, topicId, [1, 2], one, two);
        Partition leader = one.Partition(id);
        Partition follower = two.Partition(id);
        Assert.Equal(1, two.Fetchers.FetchingFrom(id));

        for (int i = 1; i <= 5; i++)
        {
            (ErrorCode error, Storage.Log.LogAppendInfo info) = leader.AppendAsLeader(PartitionTestBed.Batch(i, (byte)i), -1, 2);
            Assert.Equal(ErrorCode.None, error);

            // acks=all: the leader's high watermark passes the batch only once the follower has it.
            await Polling.UntilAsync(() => leader.HighWatermark > info.LastOffset, Deadline, "the leader's high watermark passes the batch");
            Assert.True(follower.LogEndOffset > info.LastOffset);
        }

        Assert.Equal(15, leader.LogEndOffset);
        Assert.Equal(one.LogBytes(id), two.LogBytes(id));
        await Polling.UntilAsync(() => follower.HighWatermark == 15, Deadline, "the follower's high watermark reaches 15");
        Assert.Equal(1, follower.Log.LeaderEpochCache.LatestEpoch);
        Assert.Equal([1, 2], leader.Isr);
    }

    [Fact]
    public async Task After_a_leader_change_the_old_leader_drops_its_divergent_tail_and_rejoins_the_isr()
    {
        var controller = new TestController();
        await using ReplicaNode one = ReplicaNode.Start(1, controller);
        await using ReplicaNode two = ReplicaNode.Start(2, controller);
        var id = new TopicPartition("diverged", 0);
        Uuid topicId = Uuid.NewRandom();
        StartPartition(controller, id, topicId, [1, 2], one, two);
        Partition oldLeader = one.Partition(id);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(ErrorCode.None, oldLeader.AppendAsLeader(PartitionTestBed.Batch(2, 1), -1, 2).Error);
        }

        await Polling.UntilAsync(() => oldLeader.HighWatermark == 6 && two.Partition(id).LogEndOffset == 6, Deadline, "both replicas have offsets 0-5");

        // Broker 1 is cut off: the controller makes broker 2 leader of epoch 2 with ISR [2].
        controller.Set(id, 2, 1, [2]);
        two.LeaderAndIsr(1, id, topicId, 2, 2, 1, [1, 2], [2]);
        Assert.Null(two.Fetchers.FetchingFrom(id));
        Partition newLeader = two.Partition(id);

        // The deposed leader has not heard yet and takes acks=1 writes nobody replicates.
        Assert.Equal(ErrorCode.None, oldLeader.AppendAsLeader(PartitionTestBed.Batch(4, 0xAA), 1, 1).Error);
        Assert.Equal(ErrorCode.None, oldLeader.AppendAsLeader(PartitionTestBed.Batch(4, 0xAA), 1, 1).Error);
        Assert.Equal(14, oldLeader.LogEndOffset);
        Assert.Equal(ErrorCode.None, newLeader.AppendAsLeader(PartitionTestBed.Batch(2, 0xBB), -1, 1).Error);
        Assert.Equal(8, newLeader.HighWatermark);

        one.LeaderAndIsr(1, id, topicId, 2, 2, 1, [1, 2], [2]);
        Assert.Equal(2, one.Fetchers.FetchingFrom(id));

        // An acks=all write still waiting on the deposed leader is about to be truncated away.
        Assert.Equal(ErrorCode.NotLeaderOrFollower, oldLeader.AcksAllOutcome(14, 1, 1));

        await Polling.UntilAsync(() => oldLeader.LogEndOffset == 8 && oldLeader.HighWatermark == 8, Deadline, "the old leader truncates and catches up to offset 8");
        Assert.Equal(two.LogBytes(id), one.LogBytes(id));
        Assert.Equal([(1, 0L), (2, 6L)], Epochs(oldLeader));

        // Caught up to the new leader's high watermark: proposed back into the ISR and accepted.
        await Polling.UntilAsync(() => newLeader.Isr.Count == 2, Deadline, "the old leader rejoins the ISR");
        Assert.Equal([2, 1], newLeader.Isr);
        Assert.Equal(2, newLeader.PartitionEpoch);
        Assert.Equal([2, 1], controller.Accepted[^1]);
    }

    [Fact]
    public async Task A_follower_behind_the_leaders_log_start_starts_over_there()
    {
        var controller = new TestController();
        await using ReplicaNode one = ReplicaNode.Start(1, controller);
        await using ReplicaNode two = ReplicaNode.Start(2, controller);
        var id = new TopicPartition("trimmed", 0);
        Uuid topicId = Uuid.NewRandom();
        one.UpdateLiveBrokers(1, one, two);
        two.UpdateLiveBrokers(1, one, two);
        controller.Set(id, 1, 0, [1]);
        one.LeaderAndIsr(1, id, topicId, 1, 1, 0, [1, 2], [1]);
        Partition leader = one.Partition(id);
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(3, (byte)i), -1, 1).Error);
        }

        Assert.Equal(12, leader.HighWatermark);
        Assert.True(leader.Log.DeleteRecordsBefore(6));

        two.LeaderAndIsr(1, id, topicId, 1, 1, 0, [1, 2], [1]);
        Partition follower = two.Partition(id);
        await Polling.UntilAsync(() => follower.LogEndOffset == 12, Deadline, "the follower's log end reaches 12");
        Assert.Equal(6, follower.LogStartOffset);
        Assert.Equal(one.LogBytes(id), two.LogBytes(id));
        await Polling.UntilAsync(() => leader.Isr.Count == 2, Deadline, "the follower joins the ISR");
    }

    [Fact]
    public async Task A_dead_follower_is_dropped_from_the_isr_and_a_waiting_acks_all_write_completes()
    {
        var controller = new TestController();
        await using ReplicaNode one = ReplicaNode.Start(1, controller, replicaLagTimeMaxMs: 1000);
        ReplicaNode two = ReplicaNode.Start(2, controller, replicaLagTimeMaxMs: 1000);
        var id = new TopicPartition("lagging", 0);
        Uuid topicId = Uuid.NewRandom();
        StartPartition(controller, id, topicId, [1, 2], one, two);
        Partition leader = one.Partition(id);
        Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(2), -1, 1).Error);
        await Polling.UntilAsync(() => leader.HighWatermark == 2, Deadline, "the leader's high watermark reaches 2");

        await two.DisposeAsync();
        (ErrorCode error, Storage.Log.LogAppendInfo info) = leader.AppendAsLeader(PartitionTestBed.Batch(2), -1, 2, out int epoch);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(2, leader.HighWatermark);
        Assert.Null(leader.AcksAllOutcome(info.LastOffset + 1, epoch, 2));

        await Polling.UntilAsync(() => leader.HighWatermark > info.LastOffset, Deadline, "the dead follower leaves the ISR and the write commits");
        Assert.Equal([1], leader.Isr);
        Assert.Equal([1], controller.Get(id).Isr);

        // Committed, but only on the leader: a producer that asked for two copies must hear so.
        Assert.Equal(ErrorCode.NotEnoughReplicasAfterAppend, leader.AcksAllOutcome(info.LastOffset + 1, epoch, 2));
        Assert.Equal(ErrorCode.None, leader.AcksAllOutcome(info.LastOffset + 1, epoch, 1));

        // min.insync.replicas=2 now refuses acks=all writes.
        Assert.Equal(ErrorCode.NotEnoughReplicas, leader.AppendAsLeader(PartitionTestBed.Batch(1), -1, 2).Error);
    }

    [Fact]
    public async Task StopReplica_stops_the_fetcher_before_the_log_goes()
    {
        var controller = new TestController();
        await using ReplicaNode one = ReplicaNode.Start(1, controller);
        await using ReplicaNode two = ReplicaNode.Start(2, controller);
        var id = new TopicPartition("stopped", 0);
        Uuid topicId = Uuid.NewRandom();
        StartPartition(controller, id, topicId, [1, 2], one, two);
        Assert.Equal(ErrorCode.None, one.Partition(id).AppendAsLeader(PartitionTestBed.Batch(1), -1, 2).Error);
        await Polling.UntilAsync(() => one.Partition(id).HighWatermark == 1, Deadline, "the leader's high watermark reaches 1");

        var stop = new Protocol.Messages.StopReplicaRequestData { ControllerId = 1, ControllerEpoch = 1 };
        stop.TopicStates.Add(new Protocol.Messages.StopReplicaRequestData.StopReplicaTopicState
        {
            TopicName = id.Topic,
            PartitionStates = [new Protocol.Messages.StopReplicaRequestData.StopReplicaPartitionState { PartitionIndex = 0, LeaderEpoch = 1, DeletePartition = true }],
        });
        two.Partitions.ApplyStopReplica(stop);

        Assert.Null(two.Fetchers.FetchingFrom(id));
        Assert.Null(two.Partitions.Get(id));
        Assert.Equal(0, two.Fetchers.FetcherCount);
    }

    private static void StartPartition(TestController controller, TopicPartition id, Uuid topicId, int[] replicas, params ReplicaNode[] nodes)
    {
        foreach (ReplicaNode node in nodes)
        {
            node.UpdateLiveBrokers(1, nodes);
        }

        controller.Set(id, 1, 0, replicas);
        foreach (ReplicaNode node in nodes)
        {
            node.LeaderAndIsr(1, id, topicId, replicas[0], 1, 0, replicas, replicas);
        }
    }

    private static List<(int, long)> Epochs(Partition partition)
    {
        var entries = new List<(int, long)>();
        foreach (Storage.Checkpoints.EpochEntry entry in partition.Log.LeaderEpochCache.Entries)
        {
            entries.Add((entry.Epoch, entry.StartOffset));
        }

        return entries;
    }
}
