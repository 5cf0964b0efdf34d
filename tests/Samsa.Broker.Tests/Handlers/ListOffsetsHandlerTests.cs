using Samsa.Broker.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

public sealed class ListOffsetsHandlerTests
{
    private static ListOffsetsRequestData Request(string topic, long timestamp, int replicaId = -1) => new()
    {
        ReplicaId = replicaId,
        Topics =
        [
            new ListOffsetsRequestData.ListOffsetsTopic
            {
                Name = topic,
                Partitions = [new ListOffsetsRequestData.ListOffsetsPartition { PartitionIndex = 0, Timestamp = timestamp }],
            },
        ],
    };

    private static async Task<ListOffsetsResponseData.ListOffsetsPartitionResponse> AskAsync(ListOffsetsHandler handler, string topic, long timestamp, short version = 10)
    {
        ListOffsetsResponseData response = await handler.CallAsync<ListOffsetsResponseData>(Request(topic, timestamp), version);
        return Assert.Single(Assert.Single(response.Topics).Partitions);
    }

    [Fact]
    public async Task By_timestamp_answers_the_found_records_own_timestamp()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("times", 1);
        broker.Append("times", 0, 1000, 2000, 3000);
        broker.Append("times", 0, 4000, 5000);
        var handler = new ListOffsetsHandler(broker.Partitions, broker.Metadata);

        ListOffsetsResponseData.ListOffsetsPartitionResponse between = await AskAsync(handler, "times", 2500);
        ListOffsetsResponseData.ListOffsetsPartitionResponse exact = await AskAsync(handler, "times", 4000);
        ListOffsetsResponseData.ListOffsetsPartitionResponse after = await AskAsync(handler, "times", 9000);

        Assert.Equal((2L, 3000L), (between.Offset, between.Timestamp));
        Assert.Equal((3L, 4000L), (exact.Offset, exact.Timestamp));
        Assert.Equal((-1L, -1L), (after.Offset, after.Timestamp));
    }

    [Fact]
    public async Task Special_timestamps()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("special", 1);
        broker.Append("special", 0, 1000, 7000, 3000);
        var handler = new ListOffsetsHandler(broker.Partitions, broker.Metadata);

        ListOffsetsResponseData.ListOffsetsPartitionResponse latest = await AskAsync(handler, "special", -1);
        ListOffsetsResponseData.ListOffsetsPartitionResponse earliest = await AskAsync(handler, "special", -2);
        ListOffsetsResponseData.ListOffsetsPartitionResponse max = await AskAsync(handler, "special", -3);
        ListOffsetsResponseData.ListOffsetsPartitionResponse earliestLocal = await AskAsync(handler, "special", -4);
        ListOffsetsResponseData.ListOffsetsPartitionResponse latestTiered = await AskAsync(handler, "special", -5);

        Assert.Equal((3L, -1L, 0), (latest.Offset, latest.Timestamp, latest.LeaderEpoch));
        Assert.Equal((0L, -1L, 0), (earliest.Offset, earliest.Timestamp, earliest.LeaderEpoch));
        Assert.Equal(7000, max.Timestamp);
        Assert.Equal(0L, earliestLocal.Offset);
        Assert.Equal((-1L, -1L, -1), (latestTiered.Offset, latestTiered.Timestamp, latestTiered.LeaderEpoch));
        Assert.All(new[] { latest, earliest, max, earliestLocal, latestTiered }, r => Assert.Equal((short)ErrorCode.None, r.ErrorCode));
    }

    [Fact]
    public void Advertises_up_to_version_10()
    {
        var handler = new ListOffsetsHandler(null!, null!);

        Assert.Equal(10, handler.MaxVersion);
    }
}
