using Samsa.Broker.Handlers;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

public sealed class OffsetForLeaderEpochHandlerTests
{
    private static OffsetForLeaderEpochRequestData Request(string topic, int partition, int leaderEpoch, int currentLeaderEpoch = -1, int replicaId = -1) => new()
    {
        ReplicaId = replicaId,
        Topics =
        [
            new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic
            {
                Topic = topic,
                Partitions = [new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition { Partition = partition, LeaderEpoch = leaderEpoch, CurrentLeaderEpoch = currentLeaderEpoch }],
            },
        ],
    };

    private static OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult Single(OffsetForLeaderEpochResponseData response) =>
        Assert.Single(Assert.Single(response.Topics).Partitions);

    /// <summary>Epoch 0 writes offsets 0-2, epoch 1 writes 3-4, epoch 2 (current) writes 5.</summary>
    private static async Task<LocalBrokerParts> ThreeEpochsAsync()
    {
        LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("epochs", 1);
        Partition partition = broker.Partitions.Get("epochs", 0)!;
        broker.Append("epochs", 0, 1, 2, 3);
        partition.ApplyLeadership(LocalBrokerParts.BrokerId, 1, 1, [1], [1]);
        broker.Append("epochs", 0, 4, 5);
        partition.ApplyLeadership(LocalBrokerParts.BrokerId, 2, 2, [1], [1]);
        broker.Append("epochs", 0, 6);
        return broker;
    }

    [Theory]
    [InlineData(2, 2, 6L)] // the latest epoch ends at the log end
    [InlineData(1, 1, 5L)] // an older one where the next begins
    [InlineData(0, 0, 3L)]
    [InlineData(7, -1, -1L)] // newer than any we know
    public async Task Answers_where_an_epoch_ends(int requested, int epoch, long endOffset)
    {
        await using LocalBrokerParts broker = await ThreeEpochsAsync();
        var handler = new OffsetForLeaderEpochHandler(broker.Partitions, broker.Metadata);

        OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult result = Single(await handler.CallAsync<OffsetForLeaderEpochResponseData>(Request("epochs", 0, requested), 4));

        Assert.Equal((short)ErrorCode.None, result.ErrorCode);
        Assert.Equal(epoch, result.LeaderEpoch);
        Assert.Equal(endOffset, result.EndOffset);
    }

    [Fact]
    public async Task A_follower_gets_the_same_answer_as_a_consumer()
    {
        await using LocalBrokerParts broker = await ThreeEpochsAsync();
        var handler = new OffsetForLeaderEpochHandler(broker.Partitions, broker.Metadata);

        OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult result = Single(await handler.CallAsync<OffsetForLeaderEpochResponseData>(Request("epochs", 0, 2, replicaId: 2), 3));

        Assert.Equal(2, result.LeaderEpoch);
        Assert.Equal(6, result.EndOffset);
    }

    [Theory]
    [InlineData(1, ErrorCode.FencedLeaderEpoch)]
    [InlineData(3, ErrorCode.UnknownLeaderEpoch)]
    [InlineData(2, ErrorCode.None)]
    public async Task The_current_leader_epoch_is_checked(int current, ErrorCode expected)
    {
        await using LocalBrokerParts broker = await ThreeEpochsAsync();
        var handler = new OffsetForLeaderEpochHandler(broker.Partitions, broker.Metadata);

        OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult result = Single(await handler.CallAsync<OffsetForLeaderEpochResponseData>(Request("epochs", 0, 1, current), 2));

        Assert.Equal((short)expected, result.ErrorCode);
    }

    [Fact]
    public async Task Unknown_partitions_and_followers_answer_errors()
    {
        await using LocalBrokerParts broker = await ThreeEpochsAsync();
        Partition partition = broker.Partitions.Get("epochs", 0)!;
        var handler = new OffsetForLeaderEpochHandler(broker.Partitions, broker.Metadata);

        OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult unknown = Single(await handler.CallAsync<OffsetForLeaderEpochResponseData>(Request("nope", 0, 0), 4));
        partition.ApplyLeadership(2, 3, 3, [1, 2], [2]);
        OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult follower = Single(await handler.CallAsync<OffsetForLeaderEpochResponseData>(Request("epochs", 0, 0), 4));

        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, unknown.ErrorCode);
        Assert.Equal(-1, unknown.EndOffset);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, follower.ErrorCode);
        Assert.Equal(-1, follower.LeaderEpoch);
    }
}
