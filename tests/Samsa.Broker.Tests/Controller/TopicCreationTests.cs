using Samsa.Broker.Handlers;
using Samsa.Broker.Tests.Handlers;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Tests.Controller;

/// <summary>
/// A new topic's znodes on a store that misbehaves: partition states are written many per
/// transaction, and a transaction that meets a state a controller before this one wrote falls
/// back to one partition at a time and takes what is there; writes whose answers were lost (a
/// ZooKeeper leader election) are sent again and recognised as this creation's own; a store that
/// keeps failing answers the client REQUEST_TIMED_OUT, and a fenced controller NOT_CONTROLLER.
/// </summary>
public sealed class TopicCreationTests
{
    private const int Partitions = 450; // three transactions: 200, 200, 50

    [Fact]
    public async Task Every_partition_of_a_large_topic_gets_its_first_state_led_by_its_first_replica()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(Assignment());

        for (int partition = 0; partition < Partitions; partition++)
        {
            (PartitionStateZNode state, int version) = await bed.StateAsync(partition);
            Assert.Equal(0, version);
            Assert.Equal(Replicas(partition)[0], state.Leader);
            Assert.Equal(Replicas(partition), state.Isr);
        }

        Assert.Equal(Partitions, LeadersSent(bed).Count);
    }

    [Fact]
    public async Task A_state_written_before_is_kept_and_the_rest_of_its_transaction_is_still_created()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();

        // A controller wrote the topic and got as far as partition 250 (in the second
        // transaction), with broker 3 leading at leader epoch 4, then died; broker 2 takes over.
        await bed.StopControllerAsync();
        await bed.Store.CreateAsync(ZkPaths.Topic(ControllerBed.Topic), new TopicAssignmentZNode(Uuid.NewRandom(), Assignment()).Encode(), CreateMode.Persistent);
        var earlier = new PartitionStateZNode(0, 3, 4, [3]);
        await bed.Store.CreateAsync(ZkPaths.TopicPartitions(ControllerBed.Topic), ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
        await bed.Store.CreateAsync(ZkPaths.TopicPartition(ControllerBed.Topic, 250), ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
        await bed.Store.CreateAsync(ZkPaths.TopicPartitionState(ControllerBed.Topic, 250), earlier.Encode(), CreateMode.Persistent);
        await bed.StartControllerAsync(brokerId: 2);

        (PartitionStateZNode kept, _) = await bed.StateAsync(250);
        Assert.Equal(3, kept.Leader);
        Assert.Equal(4, kept.LeaderEpoch);
        Dictionary<int, LeaderAndIsrRequestData.LeaderAndIsrPartitionState> sent = LeadersSent(bed);
        Assert.Equal(3, sent[250].Leader);
        Assert.Equal(4, sent[250].LeaderEpoch);
        for (int partition = 200; partition < 400; partition++)
        {
            if (partition != 250)
            {
                Assert.Equal(Replicas(partition)[0], (await bed.StateAsync(partition)).State.Leader);
            }
        }

        Assert.Equal(Partitions, sent.Count);
    }

    [Fact]
    public async Task A_topic_whose_writes_were_applied_but_their_answers_lost_is_created_once_with_its_id()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();

        // The topic's transaction and the first partition-state transaction are committed, but the
        // connection drops before each answer (as in a ZooKeeper leader election).
        bed.Session.LoseMultiAnswers = 2;
        Uuid topicId = await bed.CreateTopicAsync(Assignment());

        NodeData stored = (await bed.Store.GetDataAsync(ZkPaths.Topic(ControllerBed.Topic)))!;
        Assert.Equal(topicId, TopicAssignmentZNode.Decode(stored.Data.Span).TopicId);
        for (int partition = 0; partition < Partitions; partition++)
        {
            (PartitionStateZNode state, int version) = await bed.StateAsync(partition);
            Assert.Equal(0, version);
            Assert.Equal(Replicas(partition)[0], state.Leader);
        }

        Assert.Equal(Partitions, LeadersSent(bed).Count);
        Assert.Equal(0, bed.Session.LoseMultiAnswers);
    }

    [Fact]
    public async Task A_store_that_keeps_failing_gets_the_client_REQUEST_TIMED_OUT_not_a_dropped_connection()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        bed.Session.FailWrites = true;
        var request = new CreateTopicsRequestData { TimeoutMs = 30_000 };
        request.Topics.Add(new CreateTopicsRequestData.CreatableTopic { Name = "unlucky", NumPartitions = 3, ReplicationFactor = 2 });

        CreateTopicsResponseData response = await new CreateTopicsHandler(bed.Controller).CallAsync<CreateTopicsResponseData>(request, 7);

        CreateTopicsResponseData.CreatableTopicResult result = Assert.Single(response.Topics);
        Assert.Equal((short)ErrorCode.RequestTimedOut, result.ErrorCode);
        Assert.Contains("ConnectionLoss", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_controller_fenced_by_a_newer_one_answers_NOT_CONTROLLER()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();

        await bed.MoveControllerEpochAsync();
        var request = new CreateTopicsRequestData { TimeoutMs = 30_000 };
        request.Topics.Add(new CreateTopicsRequestData.CreatableTopic { Name = "late", NumPartitions = 1, ReplicationFactor = 1 });

        CreateTopicsResponseData response = await new CreateTopicsHandler(bed.Controller).CallAsync<CreateTopicsResponseData>(request, 7);

        Assert.Equal((short)ErrorCode.NotController, Assert.Single(response.Topics).ErrorCode);
        Assert.False(bed.Controller.IsActive);
        Assert.Null(await bed.Store.ExistsAsync(ZkPaths.Topic("late")));
    }

    private static int[] Replicas(int partition) => [1 + (partition % 3), 1 + ((partition + 1) % 3)];

    private static Dictionary<int, int[]> Assignment()
    {
        var assignment = new Dictionary<int, int[]>();
        for (int partition = 0; partition < Partitions; partition++)
        {
            assignment[partition] = Replicas(partition);
        }

        return assignment;
    }

    /// <summary>The newest leadership of each partition the controller sent in LeaderAndIsr.</summary>
    private static Dictionary<int, LeaderAndIsrRequestData.LeaderAndIsrPartitionState> LeadersSent(ControllerBed bed)
    {
        var sent = new Dictionary<int, LeaderAndIsrRequestData.LeaderAndIsrPartitionState>();
        foreach ((int _, LeaderAndIsrRequestData request) in bed.Channel.Sent<LeaderAndIsrRequestData>())
        {
            foreach (LeaderAndIsrRequestData.LeaderAndIsrTopicState topic in request.TopicStates)
            {
                foreach (LeaderAndIsrRequestData.LeaderAndIsrPartitionState state in topic.PartitionStates)
                {
                    sent[state.PartitionIndex] = state;
                }
            }
        }

        return sent;
    }
}
