using Samsa.Broker.Partitions;
using Samsa.Broker.Tests.Cluster;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// Replication inside a real three-broker cluster (in-process, real sockets, the real controller):
/// acks=all produce reaches every replica byte for byte; a killed follower leaves the ISR and a
/// restarted one catches up and is proposed back in through AlterPartition.
/// </summary>
public sealed class ClusterReplicationTests
{
    private const string Topic = "replicated";

    [Fact]
    public async Task Acks_all_produce_reaches_every_replica_byte_for_byte()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        int leader = await CreateTopicAsync(cluster);

        for (int i = 1; i <= 4; i++)
        {
            ProduceResponseData.PartitionProduceResponse result = await ProduceAsync(cluster, leader, PartitionTestBed.Batch(i, (byte)i));
            Assert.Equal((short)ErrorCode.None, result.ErrorCode);
        }

        // acks=all answered: every ISR member had the batches, so the leader's high watermark covers them.
        Partition leading = cluster.Brokers[leader].Partitions.Get(Topic, 0)!;
        Assert.Equal(10, leading.HighWatermark);
        await WaitForReplicasAsync(cluster, leader, 10);
    }

    [Fact]
    public async Task A_killed_follower_leaves_the_isr_and_rejoins_after_a_restart()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3, ("replica.lag.time.max.ms", "3000"));
        int leader = await CreateTopicAsync(cluster);
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, leader, PartitionTestBed.Batch(3))).ErrorCode);
        int victim = leader == 3 ? 2 : 3;

        await cluster.KillAsync(victim);
        Partition leading = cluster.Brokers[leader].Partitions.Get(Topic, 0)!;
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(leading.Isr.Count == 2 && !leading.Isr.Contains(victim)), "the ISR drops the dead follower");

        // The remaining ISR acknowledges acks=all writes while the victim is away.
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, leader, PartitionTestBed.Batch(2))).ErrorCode);
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, leader, PartitionTestBed.Batch(4))).ErrorCode);
        Assert.Equal(9, leading.HighWatermark);

        await cluster.StartBrokerAsync(victim);
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(leading.Isr.Count == 3), "the restarted follower rejoins the ISR");
        await WaitForReplicasAsync(cluster, leader, 9);
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.MetadataAsync(victim, Topic)).Topics[0].Partitions[0].IsrNodes.Count == 3,
            "the restarted broker's metadata shows the full ISR");
    }

    [Fact]
    public async Task When_the_leader_dies_a_follower_takes_over_with_every_acknowledged_write_and_the_old_leader_catches_up()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3, ("replica.lag.time.max.ms", "3000"));
        int oldLeader = await CreateTopicAsync(cluster);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, oldLeader, PartitionTestBed.Batch(2, (byte)i))).ErrorCode);
        }

        int oldEpoch = cluster.Brokers[oldLeader].Partitions.Get(Topic, 0)!.LeaderEpoch;
        await cluster.KillAsync(oldLeader);
        int newLeader = -1;
        await InProcessCluster.WaitUntilAsync(
            () =>
            {
                foreach ((int id, KafkaBroker broker) in cluster.Brokers)
                {
                    if (broker.Partitions.Get(Topic, 0) is { IsLeader: true } p && p.LeaderEpoch > oldEpoch)
                    {
                        newLeader = id;
                        return Task.FromResult(true);
                    }
                }

                return Task.FromResult(false);
            },
            "a surviving replica leads with a newer epoch");

        // Every write acknowledged before the crash is on the new leader.
        Partition leading = cluster.Brokers[newLeader].Partitions.Get(Topic, 0)!;
        Assert.True(leading.LogEndOffset >= 6);
        Assert.Equal((short)ErrorCode.None, (await ProduceAsync(cluster, newLeader, PartitionTestBed.Batch(4, 9))).ErrorCode);
        Assert.Equal(10, leading.LogEndOffset);

        await cluster.StartBrokerAsync(oldLeader);
        await WaitForReplicasAsync(cluster, newLeader, 10);
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(leading.Isr.Count == 3), "the old leader rejoins the ISR");
    }

    /// <summary>Creates a one-partition topic with replication factor 3; returns its leader once every broker hosts it.</summary>
    private static async Task<int> CreateTopicAsync(InProcessCluster cluster)
    {
        KafkaBroker controller = await cluster.ControllerAsync();
        var request = new CreateTopicsRequestData
        {
            Topics = [new CreateTopicsRequestData.CreatableTopic { Name = Topic, NumPartitions = 1, ReplicationFactor = 3 }],
            TimeoutMs = 10_000,
        };
        CreateTopicsResponseData created = await cluster.SendAsync<CreateTopicsResponseData>(controller.BrokerId, request, 7);
        Assert.Equal((short)ErrorCode.None, created.Topics[0].ErrorCode);
        int leader = -1;
        await InProcessCluster.WaitUntilAsync(
            () =>
            {
                foreach (KafkaBroker broker in cluster.Brokers.Values)
                {
                    if (broker.Partitions.Get(Topic, 0) is not { LeaderId: >= 0 } partition)
                    {
                        return Task.FromResult(false);
                    }

                    leader = partition.LeaderId;
                }

                return Task.FromResult(cluster.Brokers[leader].Partitions.Get(Topic, 0)!.IsLeader);
            },
            "every broker hosts the partition and the leader leads");
        return leader;
    }

    private static async Task<ProduceResponseData.PartitionProduceResponse> ProduceAsync(InProcessCluster cluster, int leader, byte[] batch)
    {
        var request = new ProduceRequestData
        {
            Acks = -1,
            TimeoutMs = 15_000,
            TopicData = [new ProduceRequestData.TopicProduceData { Name = Topic, PartitionData = [new ProduceRequestData.PartitionProduceData { Index = 0, Records = batch }] }],
        };
        ProduceResponseData response = await cluster.SendAsync<ProduceResponseData>(leader, request, 9);
        return response.Responses[0].PartitionResponses[0];
    }

    /// <summary>Waits until every replica has the leader's log byte for byte and the high watermark <paramref name="end"/>.</summary>
    private static async Task WaitForReplicasAsync(InProcessCluster cluster, int leader, long end)
    {
        using var deadline = new CancellationTokenSource(InProcessCluster.Patience);
        string? mismatch;
        while ((mismatch = Mismatch(cluster, leader, end)) is not null)
        {
            Assert.False(deadline.IsCancellationRequested, mismatch);
            await Task.Delay(50);
        }
    }

    private static string? Mismatch(InProcessCluster cluster, int leader, long end)
    {
        byte[] expected = LogBytes(cluster.Brokers[leader].Partitions.Get(Topic, 0)!);
        foreach ((int id, KafkaBroker broker) in cluster.Brokers)
        {
            Partition? replica = broker.Partitions.Get(Topic, 0);
            if (replica is null)
            {
                return $"broker {id} has no replica";
            }

            if (replica.LogEndOffset != end || replica.HighWatermark != end)
            {
                return $"broker {id}: log end {replica.LogEndOffset}, high watermark {replica.HighWatermark}, expected {end}";
            }

            if (!LogBytes(replica).AsSpan().SequenceEqual(expected))
            {
                return $"broker {id}: {LogBytes(replica).Length} bytes differ from the leader's {expected.Length}";
            }
        }

        return null;
    }

    private static byte[] LogBytes(Partition partition) => LogContent.Bytes(partition.Log);
}
