using Samsa.Broker.Fetching;
using Samsa.Broker.Handlers;
using Samsa.Broker.Partitions;
using Samsa.Broker.Tests.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// The leader's Fetch handler serving followers: they read up to the log end whatever the high
/// watermark, their fetch offset is their progress (ReplicaId before v15, ReplicaState from v15),
/// and brokers outside the assignment are refused.
/// </summary>
public sealed class FollowerFetchTests
{
    private static readonly TopicPartition Id = new("fetched", 0);

    [Fact]
    public async Task A_follower_reads_to_the_log_end_and_its_fetch_offset_moves_the_high_watermark()
    {
        await using ReplicaNode node = ReplicaNode.Start(1, new TestController());
        node.LeaderAndIsr(1, Id, Uuid.NewRandom(), 1, 1, 0, [1, 2], [1, 2]);
        Partition leader = node.Partition(Id);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(2), 1, 1).Error);
        }

        var handler = new FetchHandler(node.Partitions, node.Metadata, TimeProvider.System, new FetchSessionCache(4));

        // A consumer sees nothing yet: the follower has not confirmed anything.
        FetchResponseData.PartitionData consumer = await FetchAsync(handler, replicaId: -1, offset: 0, version: 12);
        Assert.Equal(0, consumer.HighWatermark);
        Assert.Equal(0, consumer.Records?.Length ?? 0);

        FetchResponseData.PartitionData follower = await FetchAsync(handler, replicaId: 2, offset: 0, version: 12);
        Assert.Equal((short)ErrorCode.None, follower.ErrorCode);
        Assert.Equal(LogContent.Bytes(leader.Log), follower.Records!.Value.ToArray());
        Assert.Equal(0L, leader.FollowerState(2)!.Value.LogEndOffset);

        // Fetching from the log end says the follower has everything.
        await FetchAsync(handler, replicaId: 2, offset: 6, version: 12);
        Assert.Equal(6, leader.HighWatermark);
        Assert.Equal(6, (await FetchAsync(handler, replicaId: -1, offset: 6, version: 12)).HighWatermark);
    }

    [Fact]
    public async Task From_v15_the_follower_is_named_in_ReplicaState()
    {
        await using ReplicaNode node = ReplicaNode.Start(1, new TestController());
        Uuid topicId = Uuid.NewRandom();
        node.UpdateLiveBrokers(1, node);
        node.Metadata.Apply(new UpdateMetadataRequestData
        {
            ControllerId = 1,
            ControllerEpoch = 1,
            LiveBrokers = [new UpdateMetadataRequestData.UpdateMetadataBroker { Id = 1 }],
            TopicStates =
            [
                new UpdateMetadataRequestData.UpdateMetadataTopicState
                {
                    TopicName = Id.Topic,
                    TopicId = topicId,
                    PartitionStates = [new UpdateMetadataRequestData.UpdateMetadataPartitionState { TopicName = Id.Topic, PartitionIndex = 0, Leader = 1, LeaderEpoch = 1, Replicas = [1, 2], Isr = [1, 2] }],
                },
            ],
        });
        node.LeaderAndIsr(1, Id, topicId, 1, 1, 0, [1, 2], [1, 2]);
        Partition leader = node.Partition(Id);
        Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(4), 1, 1).Error);
        var handler = new FetchHandler(node.Partitions, node.Metadata, TimeProvider.System, new FetchSessionCache(4));

        FetchResponseData.PartitionData follower = await FetchAsync(handler, replicaId: 2, offset: 4, version: 15, topicId);
        Assert.Equal((short)ErrorCode.None, follower.ErrorCode);
        Assert.Equal(4, leader.HighWatermark);
    }

    [Fact]
    public async Task A_replica_fetch_from_a_broker_outside_the_assignment_is_refused()
    {
        await using ReplicaNode node = ReplicaNode.Start(1, new TestController());
        node.LeaderAndIsr(1, Id, Uuid.NewRandom(), 1, 1, 0, [1, 2], [1, 2]);
        Assert.Equal(ErrorCode.None, node.Partition(Id).AppendAsLeader(PartitionTestBed.Batch(1), 1, 1).Error);
        var handler = new FetchHandler(node.Partitions, node.Metadata, TimeProvider.System, new FetchSessionCache(4));

        FetchResponseData.PartitionData stranger = await FetchAsync(handler, replicaId: 7, offset: 0, version: 12);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, stranger.ErrorCode);
        Assert.Equal(0, stranger.Records?.Length ?? 0);
        Assert.Null(node.Partition(Id).FollowerState(7));
    }

    private static async Task<FetchResponseData.PartitionData> FetchAsync(FetchHandler handler, int replicaId, long offset, short version, Uuid topicId = default)
    {
        var request = new FetchRequestData { MaxWaitMs = 0, MinBytes = 1, MaxBytes = 1 << 20, SessionEpoch = -1 };
        if (version >= 15)
        {
            request.ReplicaState = new FetchRequestData.ReplicaStateData { ReplicaId = replicaId };
        }
        else
        {
            request.ReplicaId = replicaId;
        }

        request.Topics.Add(new FetchRequestData.FetchTopic
        {
            Topic = Id.Topic,
            TopicId = topicId,
            Partitions = [new FetchRequestData.FetchPartition { Partition = Id.Partition, FetchOffset = offset, PartitionMaxBytes = 1 << 20 }],
        });
        FetchResponseData response = await handler.CallAsync<FetchResponseData>(request, version);
        return response.Responses[0].Partitions[0];
    }
}
