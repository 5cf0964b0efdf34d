using Samsa.Broker.Handlers;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Handlers;

public sealed class DeleteRecordsHandlerTests
{
    private static DeleteRecordsRequestData Request(string topic, params (int Partition, long Offset)[] partitions)
    {
        var t = new DeleteRecordsRequestData.DeleteRecordsTopic { Name = topic };
        foreach ((int partition, long offset) in partitions)
        {
            t.Partitions.Add(new DeleteRecordsRequestData.DeleteRecordsPartition { PartitionIndex = partition, Offset = offset });
        }

        return new DeleteRecordsRequestData { Topics = [t], TimeoutMs = 30000 };
    }

    private static DeleteRecordsResponseData.DeleteRecordsPartitionResult Result(DeleteRecordsResponseData response, int partition) =>
        Assert.Single(Assert.Single(response.Topics).Partitions, p => p.PartitionIndex == partition);

    [Fact]
    public async Task Moves_the_log_start_and_answers_the_low_watermark()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("trim", 2);
        broker.Append("trim", 0, 1, 2, 3, 4, 5);
        broker.Append("trim", 1, 1, 2, 3);
        var handler = new DeleteRecordsHandler(broker.Partitions, broker.Metadata);

        DeleteRecordsResponseData response = await handler.CallAsync<DeleteRecordsResponseData>(Request("trim", (0, 3), (1, -1)), 2);

        Assert.Equal((short)ErrorCode.None, Result(response, 0).ErrorCode);
        Assert.Equal(3, Result(response, 0).LowWatermark);
        Assert.Equal(3, broker.Partitions.Get("trim", 0)!.LogStartOffset);
        Assert.Equal((short)ErrorCode.None, Result(response, 1).ErrorCode);
        Assert.Equal(3, Result(response, 1).LowWatermark);
    }

    [Fact]
    public async Task An_offset_past_the_high_watermark_is_out_of_range_and_changes_nothing()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("range", 1);
        broker.Append("range", 0, 1, 2);
        var handler = new DeleteRecordsHandler(broker.Partitions, broker.Metadata);

        DeleteRecordsResponseData response = await handler.CallAsync<DeleteRecordsResponseData>(Request("range", (0, 3)), 1);

        Assert.Equal((short)ErrorCode.OffsetOutOfRange, Result(response, 0).ErrorCode);
        Assert.Equal(-1, Result(response, 0).LowWatermark);
        Assert.Equal(0, broker.Partitions.Get("range", 0)!.LogStartOffset);
    }

    [Fact]
    public async Task An_offset_below_the_log_start_keeps_it()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("back", 1);
        broker.Append("back", 0, 1, 2, 3, 4);
        var handler = new DeleteRecordsHandler(broker.Partitions, broker.Metadata);

        await handler.CallAsync<DeleteRecordsResponseData>(Request("back", (0, 3)), 0);
        DeleteRecordsResponseData again = await handler.CallAsync<DeleteRecordsResponseData>(Request("back", (0, 1)), 0);

        Assert.Equal((short)ErrorCode.None, Result(again, 0).ErrorCode);
        Assert.Equal(3, Result(again, 0).LowWatermark);
    }

    [Fact]
    public async Task Unknown_partitions_and_compacted_topics_fail()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        broker.Configs.Set("compacted", broker.Configs.Defaults with { CleanupPolicy = CleanupPolicy.Compact });
        await broker.CreateTopicAsync("compacted", 1);
        var handler = new DeleteRecordsHandler(broker.Partitions, broker.Metadata);

        DeleteRecordsResponseData unknown = await handler.CallAsync<DeleteRecordsResponseData>(Request("nope", (0, 0)), 2);
        DeleteRecordsResponseData beyond = await handler.CallAsync<DeleteRecordsResponseData>(Request("compacted", (5, 0)), 2);
        DeleteRecordsResponseData compacted = await handler.CallAsync<DeleteRecordsResponseData>(Request("compacted", (0, 0)), 2);

        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Result(unknown, 0).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Result(beyond, 5).ErrorCode);
        Assert.Equal((short)ErrorCode.PolicyViolation, Result(compacted, 0).ErrorCode);
    }

    [Fact]
    public async Task Only_the_leader_deletes()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("led", 1);
        broker.Append("led", 0, 1, 2);
        Partition partition = broker.Partitions.Get("led", 0)!;
        partition.ApplyLeadership(2, partition.LeaderEpoch + 1, 1, [1, 2], [2]);
        var handler = new DeleteRecordsHandler(broker.Partitions, broker.Metadata);

        DeleteRecordsResponseData response = await handler.CallAsync<DeleteRecordsResponseData>(Request("led", (0, 1)), 2);

        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, Result(response, 0).ErrorCode);
        Assert.Equal(0, partition.LogStartOffset);
    }
}
