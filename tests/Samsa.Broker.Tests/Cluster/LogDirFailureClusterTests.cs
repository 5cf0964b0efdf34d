using Samsa.Broker.Controller;
using Samsa.Broker.Partitions;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;

namespace Samsa.Broker.Tests.Cluster;

/// <summary>
/// Three real brokers in one process: a partition leader's log hits a real I/O error (its segment
/// file turned into a directory, so reopening it fails with EISDIR). The broker writes a log-dir
/// event notification, the controller asks it about its replicas, and moves leadership and the
/// ISR away from the offline one; every broker's metadata lists it offline, and writes go on.
/// </summary>
public sealed class LogDirFailureClusterTests
{
    private const string Topic = "disk";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_leader_whose_log_fails_is_replaced_by_an_isr_member_and_listed_offline(bool leaderIsController)
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        int leader = leaderIsController ? controller.BrokerId : controller.BrokerId % 3 + 1;
        int[] assignment = [leader, leader % 3 + 1, (leader + 1) % 3 + 1];
        await cluster.CreateTopicAsync(controller.BrokerId, Topic, assignment);
        foreach (int broker in new[] { 1, 2, 3 })
        {
            await InProcessCluster.WaitUntilAsync(async () => IsrOf(await cluster.MetadataAsync(broker, Topic)) is { Count: 3 }, $"broker {broker} sees the partition fully replicated");
        }

        Assert.Equal((short)ErrorCode.None, await ProduceAsync(cluster, leader));

        Partition partition = cluster.Brokers[leader].Partitions.Get(Topic, 0)!;
        BreakSegment(partition.Log);

        // Within a bounded time every broker sees another ISR member leading, the ISR without the
        // failed replica, and that replica in offline_replicas.
        int[] others = [assignment[1], assignment[2]];
        foreach (int broker in new[] { 1, 2, 3 })
        {
            await InProcessCluster.WaitUntilAsync(
                async () =>
                {
                    MetadataResponseData.MetadataResponsePartition p = (await cluster.MetadataAsync(broker, Topic)).Topics[0].Partitions[0];
                    return others.Contains(p.LeaderId) && p.IsrNodes.Count == 2 && !p.IsrNodes.Contains(leader) && p.OfflineReplicas.Contains(leader);
                },
                $"broker {broker} shows a new leader and broker {leader}'s replica offline");
        }

        PartitionStateZNode state = await ReadStateAsync(cluster);
        Assert.Equal(assignment[1], state.Leader);
        Assert.Equal(others.Order(), state.Isr.Order());

        // The notification was handled and deleted; the failed broker stopped hosting the replica.
        Assert.Empty(await cluster.Store.GetChildrenAsync(ZkPaths.LogDirEventNotification) ?? []);
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(cluster.Brokers[leader].Partitions.Get(Topic, 0) is null), "the failed broker stops hosting the replica");

        // acks=all writes go to the new leader and are acknowledged by the two in-sync replicas.
        Assert.Equal((short)ErrorCode.None, await ProduceAsync(cluster, state.Leader));
        Assert.Equal((short)ErrorCode.KafkaStorageError, await ProduceAsync(cluster, leader));
    }

    [Fact]
    public async Task A_notification_the_store_refused_is_written_once_the_store_is_back_and_the_controller_acts()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        int leader = controller.BrokerId % 3 + 1; // not the controller: only its session loses writes
        int[] assignment = [leader, leader % 3 + 1, (leader + 1) % 3 + 1];
        await cluster.CreateTopicAsync(controller.BrokerId, Topic, assignment);
        await InProcessCluster.WaitUntilAsync(async () => IsrOf(await cluster.MetadataAsync(leader, Topic)) is { Count: 3 }, "the partition is fully replicated");
        Assert.Equal((short)ErrorCode.None, await ProduceAsync(cluster, leader)); // a record to read back, so the broken file is noticed

        FaultableSession session = cluster.Sessions[leader];
        session.FailWrites = true;
        int refusedBefore = session.RefusedWrites;
        BreakSegment(cluster.Brokers[leader].Partitions.Get(Topic, 0)!.Log);

        // While the broker's writes fail (two refused notification attempts), no notification exists and the leader stays.
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(session.RefusedWrites >= refusedBefore + 2), "the broker tried to write the notification twice");
        Assert.Empty(await cluster.Store.GetChildrenAsync(ZkPaths.LogDirEventNotification) ?? []);
        Assert.Equal(leader, (await ReadStateAsync(cluster)).Leader);

        // Once they succeed, the notification is written, and the controller moves leadership away.
        session.FailWrites = false;
        await InProcessCluster.WaitUntilAsync(
            async () => await ReadStateAsync(cluster) is { } state && state.Leader == assignment[1] && !state.Isr.Contains(leader),
            "the controller elects another leader without the offline replica");
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.MetadataAsync(controller.BrokerId, Topic)).Topics[0].Partitions[0].OfflineReplicas.Contains(leader),
            "the controller's metadata lists the replica offline");
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.Store.GetChildrenAsync(ZkPaths.LogDirEventNotification) ?? []).Count == 0,
            "the notification is handled and deleted");
    }

    /// <summary>Turns the active segment file into a directory and reads until the log notices (EISDIR on reopen).</summary>
    private static void BreakSegment(PartitionLog log)
    {
        BrokenSegment.Break(log);
        using var deadline = new CancellationTokenSource(InProcessCluster.Patience);

        // A read already holding the old file (a follower's fetch) may keep it open a moment longer.
        while (!log.IsOffline)
        {
            Assert.False(deadline.IsCancellationRequested, "the log did not go offline");
            log.ReleaseIdleResources();
            log.Read(0, 1 << 20, long.MaxValue, minOneBatch: true);
        }
    }

    private static List<int>? IsrOf(MetadataResponseData metadata) =>
        metadata.Topics is [{ ErrorCode: 0, Partitions: [{ LeaderId: >= 0 } partition] }] ? partition.IsrNodes : null;

    private static async Task<short> ProduceAsync(InProcessCluster cluster, int brokerId)
    {
        using var buffer = new PooledBufferWriter();
        using (var builder = new RecordBatchBuilder(buffer, CompressionType.None, 0))
        {
            builder.Append(1_700_000_000_000, null, [1, 2, 3]);
            builder.Complete();
        }

        var topic = new ProduceRequestData.TopicProduceData { Name = Topic };
        topic.PartitionData.Add(new ProduceRequestData.PartitionProduceData { Index = 0, Records = buffer.ToArray() });
        ProduceResponseData response = await cluster.SendAsync<ProduceResponseData>(brokerId, new ProduceRequestData { Acks = -1, TimeoutMs = 10000, TopicData = [topic] }, 9);
        return response.Responses[0].PartitionResponses[0].ErrorCode;
    }

    private static async Task<PartitionStateZNode> ReadStateAsync(InProcessCluster cluster)
    {
        NodeData? data = await cluster.Store.GetDataAsync(ZkPaths.TopicPartitionState(Topic, 0));
        Assert.NotNull(data);
        return PartitionStateZNode.Decode(data.Data.Span);
    }
}
