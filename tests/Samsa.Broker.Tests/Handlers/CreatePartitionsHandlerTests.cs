using Samsa.Broker.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

public sealed class CreatePartitionsHandlerTests
{
    private static CreatePartitionsRequestData Request(bool validateOnly, params (string Name, int Count)[] topics)
    {
        var request = new CreatePartitionsRequestData { TimeoutMs = 30000, ValidateOnly = validateOnly };
        foreach ((string name, int count) in topics)
        {
            request.Topics.Add(new CreatePartitionsRequestData.CreatePartitionsTopic { Name = name, Count = count, Assignments = null });
        }

        return request;
    }

    private static CreatePartitionsResponseData.CreatePartitionsTopicResult Result(CreatePartitionsResponseData response, string name) =>
        Assert.Single(response.Results, r => r.Name == name);

    [Fact]
    public async Task Grows_a_topic_and_the_new_partitions_get_a_leader()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("grow", 1);
        var handler = new CreatePartitionsHandler(broker.Controller, broker.Metadata);

        CreatePartitionsResponseData response = await handler.CallAsync<CreatePartitionsResponseData>(Request(false, ("grow", 3)), 3);

        CreatePartitionsResponseData.CreatePartitionsTopicResult result = Result(response, "grow");
        Assert.Equal((short)ErrorCode.None, result.ErrorCode);
        Assert.Null(result.ErrorMessage);
        Assert.Equal(3, broker.Metadata.Current.Topic("grow")!.Partitions.Length);
        Assert.True(broker.Partitions.Get("grow", 2)!.IsLeader);
    }

    [Fact]
    public async Task Validate_only_changes_nothing()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("dry", 1);
        var handler = new CreatePartitionsHandler(broker.Controller, broker.Metadata);

        CreatePartitionsResponseData response = await handler.CallAsync<CreatePartitionsResponseData>(Request(true, ("dry", 4)), 1);

        Assert.Equal((short)ErrorCode.None, Result(response, "dry").ErrorCode);
        Assert.Single(broker.Metadata.Current.Topic("dry")!.Partitions);
        Assert.Null(broker.Partitions.Get("dry", 1));
    }

    [Fact]
    public async Task Shrinking_or_keeping_the_count_is_refused_with_kafkas_messages()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("three", 3);
        var handler = new CreatePartitionsHandler(broker.Controller, broker.Metadata);

        CreatePartitionsResponseData shrink = await handler.CallAsync<CreatePartitionsResponseData>(Request(false, ("three", 2)), 2);
        CreatePartitionsResponseData same = await handler.CallAsync<CreatePartitionsResponseData>(Request(false, ("three", 3)), 2);

        Assert.Equal((short)ErrorCode.InvalidPartitions, Result(shrink, "three").ErrorCode);
        Assert.Equal("Topic currently has 3 partitions, which is higher than the requested 2.", Result(shrink, "three").ErrorMessage);
        Assert.Equal((short)ErrorCode.InvalidPartitions, Result(same, "three").ErrorCode);
        Assert.Equal("Topic already has 3 partitions.", Result(same, "three").ErrorMessage);
    }

    [Fact]
    public async Task Unknown_topic_and_duplicates_fail_on_their_own()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("ok", 1);
        var handler = new CreatePartitionsHandler(broker.Controller, broker.Metadata);

        CreatePartitionsResponseData response = await handler.CallAsync<CreatePartitionsResponseData>(Request(false, ("twice", 2), ("missing", 2), ("twice", 3), ("ok", 2)), 0);

        Assert.Equal(3, response.Results.Count);
        Assert.Equal((short)ErrorCode.InvalidRequest, Result(response, "twice").ErrorCode);
        Assert.Equal("Duplicate topic in request.", Result(response, "twice").ErrorMessage);
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Result(response, "missing").ErrorCode);
        Assert.Equal((short)ErrorCode.None, Result(response, "ok").ErrorCode);
    }

    [Fact]
    public async Task Explicit_assignments_are_checked()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync("placed", 1);
        var handler = new CreatePartitionsHandler(broker.Controller, broker.Metadata);

        CreatePartitionsRequestData Assigned(int count, params int[][] replicas)
        {
            CreatePartitionsRequestData request = Request(false, ("placed", count));
            request.Topics[0].Assignments = [];
            foreach (int[] r in replicas)
            {
                request.Topics[0].Assignments!.Add(new CreatePartitionsRequestData.CreatePartitionsAssignment { BrokerIds = [.. r] });
            }

            return request;
        }

        CreatePartitionsResponseData tooFew = await handler.CallAsync<CreatePartitionsResponseData>(Assigned(3, [1]), 3);
        CreatePartitionsResponseData unknownBroker = await handler.CallAsync<CreatePartitionsResponseData>(Assigned(2, [7]), 3);
        CreatePartitionsResponseData duplicate = await handler.CallAsync<CreatePartitionsResponseData>(Assigned(2, [1, 1]), 3);
        CreatePartitionsResponseData good = await handler.CallAsync<CreatePartitionsResponseData>(Assigned(2, [1]), 3);

        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, Result(tooFew, "placed").ErrorCode);
        Assert.Equal("Increasing the number of partitions by 2 but 1 assignments provided.", Result(tooFew, "placed").ErrorMessage);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, Result(unknownBroker, "placed").ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidReplicaAssignment, Result(duplicate, "placed").ErrorCode);
        Assert.Equal((short)ErrorCode.None, Result(good, "placed").ErrorCode);
        Assert.Equal([1], broker.Metadata.Current.Topic("placed")!.Partitions[1].Replicas);
    }
}
