using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.Controller;
using Samsa.Broker.Handlers;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Tests.Handlers;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Controller;

/// <summary>
/// DeleteTopics, CreatePartitions, ElectLeaders and Metadata's auto-creation on a store that misbehaves, as
/// <see cref="TopicCreationTests"/> does for CreateTopics: writes whose answers were lost (a
/// ZooKeeper leader election) are sent again and their first attempt recognised; a store that
/// keeps failing answers each resource REQUEST_TIMED_OUT, and a fenced controller NOT_CONTROLLER,
/// instead of an exception that drops the admin client's connection.
/// </summary>
public sealed class AdminStoreFailureTests
{
    private static Dictionary<int, int[]> TwoPartitions() => new() { [0] = [1, 2], [1] = [2, 3] };

    [Fact]
    public async Task A_deletion_whose_answers_were_lost_completes_once()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(TwoPartitions());

        // The delete marker and the first two node deletions are applied, their answers lost.
        bed.Session.LoseWriteAnswers = 3;
        DeleteTopicsResponseData response = await DeleteAsync(bed);

        Assert.Equal((short)ErrorCode.None, Assert.Single(response.Responses).ErrorCode);
        Assert.Equal(0, bed.Session.LoseWriteAnswers);
        Assert.Null(await bed.Store.ExistsAsync(ZkPaths.Topic(ControllerBed.Topic)));
        Assert.Null(await bed.Store.ExistsAsync(ZkPaths.TopicPartitions(ControllerBed.Topic)));
        Assert.Null(await bed.Store.ExistsAsync(ZkPaths.DeleteTopic(ControllerBed.Topic)));
    }

    [Fact]
    public async Task A_controlled_shutdown_cut_short_by_the_store_still_sends_what_moved_and_asks_for_a_retry()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3], [1] = [2, 1] });
        var handler = new ControlledShutdownHandler(bed.Controller);
        var request = new ControlledShutdownRequestData { BrokerId = 2, BrokerEpoch = await bed.BrokerEpochAsync(2) };

        // The first leadership moves; then the store goes down for good.
        bed.Session.AfterMulti = () => bed.Session.FailWrites = true;
        ControlledShutdownResponseData cut = await handler.CallAsync<ControlledShutdownResponseData>(request, 3);

        Assert.Equal((short)ErrorCode.RequestTimedOut, cut.ErrorCode);
        int stillLed = Assert.Single(cut.RemainingPartitions).PartitionIndex;
        int moved = 1 - stillLed;
        int newLeader = (await bed.StateAsync(moved)).State.Leader;
        Assert.NotEqual(2, newLeader);
        Assert.Equal(2, (await bed.StateAsync(stillLed)).State.Leader);
        Assert.Contains(bed.Channel.Sent<LeaderAndIsrRequestData>(), s => s.BrokerId == newLeader && s.Request.TopicStates[0].PartitionStates.Exists(p => p.PartitionIndex == moved && p.Leader == newLeader));

        // The store is back: the stopping broker's retry moves the rest.
        bed.Session.AfterMulti = null;
        bed.Session.FailWrites = false;
        ControlledShutdownResponseData retried = await handler.CallAsync<ControlledShutdownResponseData>(request, 3);

        Assert.Equal((short)ErrorCode.None, retried.ErrorCode);
        Assert.Empty(retried.RemainingPartitions);
        Assert.NotEqual(2, (await bed.StateAsync(stillLed)).State.Leader);
    }

    [Fact]
    public async Task Topics_deleted_before_the_store_failed_are_answered_as_deleted()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(TwoPartitions());
        IReadOnlyList<TopicCreationResult> created = await bed.Controller.CreateTopicsAsync([new TopicCreation("second", -1, -1, TwoPartitions(), new Dictionary<string, string>())], false, CancellationToken.None);
        Assert.Equal(ErrorCode.None, created[0].Error);

        // The first topic's deletion completes (its marker is removed last); then the store goes down.
        bed.Session.AfterDelete = path =>
        {
            if (path == ZkPaths.DeleteTopic(ControllerBed.Topic))
            {
                bed.Session.FailWrites = true;
            }
        };
        var request = new DeleteTopicsRequestData { TimeoutMs = 30_000, TopicNames = [ControllerBed.Topic, "second", "no-such-topic"] };
        DeleteTopicsResponseData response = await new DeleteTopicsHandler(bed.Controller, new MetadataCache(1, "bed")).CallAsync<DeleteTopicsResponseData>(request, 5);

        Assert.Equal(
            [(ControllerBed.Topic, ErrorCode.None), ("second", ErrorCode.RequestTimedOut), ("no-such-topic", ErrorCode.UnknownTopicOrPartition)],
            response.Responses.Select(r => (r.Name!, (ErrorCode)r.ErrorCode)));
        Assert.Null(await bed.Store.ExistsAsync(ZkPaths.Topic(ControllerBed.Topic)));
        Assert.NotNull(await bed.Store.ExistsAsync(ZkPaths.Topic("second")));
    }

    [Fact]
    public async Task A_deletion_on_a_store_that_keeps_failing_answers_REQUEST_TIMED_OUT()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(TwoPartitions());
        bed.Session.FailWrites = true;

        DeleteTopicsResponseData.DeletableTopicResult result = Assert.Single((await DeleteAsync(bed)).Responses);

        Assert.Equal(ControllerBed.Topic, result.Name);
        Assert.Equal((short)ErrorCode.RequestTimedOut, result.ErrorCode);
        Assert.Contains("ConnectionLoss", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_partitions_whose_assignment_answer_was_lost_are_added_once()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(TwoPartitions());

        bed.Session.LoseMultiAnswers = 1;
        CreatePartitionsResponseData response = await GrowAsync(bed, 4);

        Assert.Equal((short)ErrorCode.None, Assert.Single(response.Results).ErrorCode);
        Assert.Equal(0, bed.Session.LoseMultiAnswers);
        NodeData stored = (await bed.Store.GetDataAsync(ZkPaths.Topic(ControllerBed.Topic)))!;
        Assert.Equal(4, TopicAssignmentZNode.Decode(stored.Data.Span).Partitions.Count);
        Assert.Equal(0, (await bed.StateAsync(3)).Version);
    }

    [Fact]
    public async Task New_partitions_on_a_store_that_keeps_failing_answer_REQUEST_TIMED_OUT()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(TwoPartitions());
        bed.Session.FailWrites = true;

        CreatePartitionsResponseData.CreatePartitionsTopicResult result = Assert.Single((await GrowAsync(bed, 4)).Results);

        Assert.Equal((short)ErrorCode.RequestTimedOut, result.ErrorCode);
        Assert.Contains("ConnectionLoss", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_partitions_on_a_fenced_controller_answer_NOT_CONTROLLER()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(TwoPartitions());
        await bed.MoveControllerEpochAsync();

        CreatePartitionsResponseData.CreatePartitionsTopicResult result = Assert.Single((await GrowAsync(bed, 4)).Results);

        Assert.Equal((short)ErrorCode.NotController, result.ErrorCode);
        Assert.False(bed.Controller.IsActive);
        NodeData stored = (await bed.Store.GetDataAsync(ZkPaths.Topic(ControllerBed.Topic)))!;
        Assert.Equal(2, TopicAssignmentZNode.Decode(stored.Data.Span).Partitions.Count);
    }

    [Fact]
    public async Task A_preferred_election_whose_answer_was_lost_is_recognised_as_done()
    {
        await using ControllerBed bed = await LedByTheSecondReplicaAsync();
        int before = (await bed.StateAsync(0)).Version;

        bed.Session.LoseMultiAnswers = 1;
        ElectLeadersResponseData response = await ElectAsync(bed);

        Assert.Equal((short)ErrorCode.None, Partition(response).ErrorCode);
        Assert.Equal(0, bed.Session.LoseMultiAnswers);
        (PartitionStateZNode state, int version) = await bed.StateAsync(0);
        Assert.Equal(1, state.Leader);
        Assert.Equal(before + 1, version);
        LeaderAndIsrRequestData sent = bed.Channel.Sent<LeaderAndIsrRequestData>()[^1].Request;
        Assert.Equal(1, sent.TopicStates[0].PartitionStates[0].Leader);
    }

    [Fact]
    public async Task A_preferred_election_on_a_store_that_keeps_failing_answers_REQUEST_TIMED_OUT()
    {
        await using ControllerBed bed = await LedByTheSecondReplicaAsync();
        bed.Session.FailWrites = true;

        ElectLeadersResponseData response = await ElectAsync(bed);

        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.Equal((short)ErrorCode.RequestTimedOut, Partition(response).ErrorCode);
        Assert.Contains("ConnectionLoss", Partition(response).ErrorMessage, StringComparison.Ordinal);
        Assert.Equal(2, (await bed.StateAsync(0)).State.Leader);
    }

    [Fact]
    public async Task A_preferred_election_on_a_fenced_controller_answers_NOT_CONTROLLER()
    {
        await using ControllerBed bed = await LedByTheSecondReplicaAsync();
        await bed.MoveControllerEpochAsync();

        ElectLeadersResponseData response = await ElectAsync(bed);

        Assert.Equal((short)ErrorCode.NotController, response.ErrorCode);
        Assert.Equal((short)ErrorCode.NotController, Partition(response).ErrorCode);
        Assert.False(bed.Controller.IsActive);
        Assert.Equal(2, (await bed.StateAsync(0)).State.Leader);
    }

    [Fact]
    public async Task An_auto_creation_on_a_store_that_keeps_failing_answers_LEADER_NOT_AVAILABLE()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        using var dir = new TempDirectory("auto-create-failure");
        var configs = new TopicLogConfigs(BrokerOptions.Load(new Dictionary<string, string> { ["broker.id"] = "1", ["log.dirs"] = dir.Path }, out _));
        using LogDirectory logs = LogDirectory.Open(dir.Path, TimeProvider.System, configs.For);
        var partitions = new LocalPartitions(1, logs, configs.For, NullLogger.Instance);
        var handler = new MetadataHandler(new MetadataCache(1, "bed"), bed.Controller, autoCreateTopicsEnable: true, partitions, 1, TimeSpan.Zero);
        bed.Session.FailWrites = true;
        var request = new MetadataRequestData { AllowAutoTopicCreation = true, Topics = [new MetadataRequestData.MetadataRequestTopic { Name = "wished-for" }] };

        MetadataResponseData response = await handler.CallAsync<MetadataResponseData>(request, 9);

        Assert.Equal((short)ErrorCode.LeaderNotAvailable, Assert.Single(response.Topics).ErrorCode);
    }

    private static async Task<DeleteTopicsResponseData> DeleteAsync(ControllerBed bed)
    {
        var request = new DeleteTopicsRequestData { TimeoutMs = 30_000, TopicNames = [ControllerBed.Topic] };
        return await new DeleteTopicsHandler(bed.Controller, new MetadataCache(1, "bed")).CallAsync<DeleteTopicsResponseData>(request, 5);
    }

    private static async Task<CreatePartitionsResponseData> GrowAsync(ControllerBed bed, int count)
    {
        var request = new CreatePartitionsRequestData { TimeoutMs = 30_000 };
        request.Topics.Add(new CreatePartitionsRequestData.CreatePartitionsTopic { Name = ControllerBed.Topic, Count = count, Assignments = null });
        return await new CreatePartitionsHandler(bed.Controller, new MetadataCache(1, "bed")).CallAsync<CreatePartitionsResponseData>(request, 3);
    }

    /// <summary>Partition 0 of the bed's topic (replicas 1, 2), led by broker 2 as a controller before this one left it.</summary>
    private static async Task<ControllerBed> LedByTheSecondReplicaAsync()
    {
        ControllerBed bed = await ControllerBed.StartAsync();
        try
        {
            await bed.CreateTopicAsync(TwoPartitions());
            await bed.StopControllerAsync();
            await bed.Store.SetDataAsync(ZkPaths.TopicPartitionState(ControllerBed.Topic, 0), new PartitionStateZNode(1, 2, 1, [1, 2]).Encode());
            await bed.StartControllerAsync(brokerId: 2);
            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    private static async Task<ElectLeadersResponseData> ElectAsync(ControllerBed bed)
    {
        var request = new ElectLeadersRequestData { ElectionType = KafkaController.PreferredElection, TimeoutMs = 30_000 };
        request.TopicPartitions!.Add(new ElectLeadersRequestData.TopicPartitionsData { Topic = ControllerBed.Topic, Partitions = [0] });
        return await new ElectLeadersHandler(bed.Controller).CallAsync<ElectLeadersResponseData>(request, 2);
    }

    private static ElectLeadersResponseData.PartitionResult Partition(ElectLeadersResponseData response) =>
        Assert.Single(Assert.Single(response.ReplicaElectionResults).PartitionResult);
}
