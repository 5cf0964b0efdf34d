using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Controller;
using Samsa.Broker.Tests.Cluster;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Coordination.Embedded;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Controller;

/// <summary>
/// The controller's handling of replicas whose log went offline on a live broker (Kafka's
/// log-dir failure handling, ZooKeeper mode): LeaderAndIsr answers with KAFKA_STORAGE_ERROR take a
/// replica out of leadership and the ISR, /log_dir_event_notification events make the controller
/// ask the broker, each event is acted on once and deleted, and a new controller learns the same
/// from its first LeaderAndIsr. The controller runs over a real embedded store; its requests are
/// recorded instead of sent, and answers are played back as the brokers would give them.
/// </summary>
public sealed class OfflineReplicaControllerTests
{
    private const string Topic = ControllerBed.Topic;
    /// <summary>
    /// Partition 0 of a new topic on brokers 2, 3, 1 whose ISR shrank to its leader 2, then broker 2
    /// answers KAFKA_STORAGE_ERROR for it: the partition is left without a leader.
    /// </summary>
    private static async Task<(Uuid TopicId, long Epoch2)> LeaveLeaderlessAsync(ControllerBed bed)
    {
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3, 1] });
        (PartitionStateZNode state, int version) = await bed.StateAsync(0);
        AlterPartitionResponseData shrunk = await bed.Controller.AlterPartitionAsync(Proposal(2, state.LeaderEpoch, version, [2]), CancellationToken.None);
        Assert.Equal((short)ErrorCode.None, shrunk.Topics[0].Partitions[0].ErrorCode);
        long epoch2 = await bed.BrokerEpochAsync(2);
        bed.Channel.Answer(2, epoch2, Answer(topicId, (0, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Equal(PartitionStateZNode.NoLeader, (await bed.StateAsync(0)).State.Leader);
        bed.Channel.Clear();
        return (topicId, epoch2);
    }

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_leader_answering_KAFKA_STORAGE_ERROR_is_replaced_leaves_the_isr_and_is_listed_offline()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3, 1], [1] = [3, 1, 2] });
        (PartitionStateZNode before, _) = await bed.StateAsync(0);
        Assert.Equal(2, before.Leader);
        bed.Channel.Clear();

        bed.Channel.Answer(2, await bed.BrokerEpochAsync(2), Answer(topicId, (0, ErrorCode.KafkaStorageError), (1, ErrorCode.None)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);

        (PartitionStateZNode after, int version) = await bed.StateAsync(0);
        Assert.Equal(3, after.Leader);
        Assert.Equal([3, 1], after.Isr);
        Assert.Equal(before.LeaderEpoch + 1, after.LeaderEpoch);
        int[] otherIsr = (await bed.StateAsync(1)).State.Isr;
        Assert.Equal([3, 1, 2], otherIsr);

        // The new leadership goes to the replicas; every broker's metadata lists the offline replica.
        Assert.Contains(bed.Channel.Sent<LeaderAndIsrRequestData>(), s => s.BrokerId == 3 && s.Request.TopicStates[0].PartitionStates.Exists(p => p.PartitionIndex == 0 && p.Leader == 3));
        foreach (int broker in new[] { 1, 2, 3 })
        {
            UpdateMetadataRequestData metadata = bed.Channel.Sent<UpdateMetadataRequestData>().FindLast(s => s.BrokerId == broker).Request;
            Assert.Equal([2], Partition(metadata, 0).OfflineReplicas);
            Assert.Empty(Partition(metadata, 1).OfflineReplicas);
        }

        // The broker stops serving and fetching it, keeping its files.
        (int stoppedOn, StopReplicaRequestData stop) = Assert.Single(bed.Channel.Sent<StopReplicaRequestData>());
        Assert.Equal(2, stoppedOn);
        StopReplicaRequestData.StopReplicaPartitionState stopped = Assert.Single(Assert.Single(stop.TopicStates).PartitionStates);
        Assert.Equal(0, stopped.PartitionIndex);
        Assert.False(stopped.DeletePartition);

        // The same answer again (every later LeaderAndIsr gets it) changes nothing.
        bed.Channel.Clear();
        bed.Channel.Answer(2, await bed.BrokerEpochAsync(2), Answer(topicId, (0, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Equal(version, (await bed.StateAsync(0)).Version);
        Assert.Empty(bed.Channel.Sent<StopReplicaRequestData>());

        // An answer from an earlier registration of the broker is ignored.
        bed.Channel.Answer(3, await bed.BrokerEpochAsync(3) - 1, Answer(topicId, (1, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Equal(3, (await bed.StateAsync(1)).State.Leader);
        Assert.Empty(bed.Channel.Sent<StopReplicaRequestData>());
    }

    [Fact]
    public async Task An_offline_replica_may_rejoin_the_isr_only_after_it_answers_NONE_again()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [3, 2, 1] });
        long epoch2 = await bed.BrokerEpochAsync(2);
        bed.Channel.Answer(2, epoch2, Answer(topicId, (0, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        (PartitionStateZNode state, int version) = await bed.StateAsync(0);
        Assert.Equal([3, 1], state.Isr);

        AlterPartitionResponseData refused = await bed.Controller.AlterPartitionAsync(Expand(state, version, [3, 1, 2]), CancellationToken.None);
        Assert.Equal((short)ErrorCode.IneligibleReplica, refused.Topics[0].Partitions[0].ErrorCode);

        bed.Channel.Answer(2, epoch2, Answer(topicId, (0, ErrorCode.None)));
        AlterPartitionResponseData accepted = await bed.Controller.AlterPartitionAsync(Expand(state, version, [3, 1, 2]), CancellationToken.None);
        Assert.Equal((short)ErrorCode.None, accepted.Topics[0].Partitions[0].ErrorCode);
        int[] rejoinedIsr = (await bed.StateAsync(0)).State.Isr;
        Assert.Equal([3, 1, 2], rejoinedIsr);
    }

    [Fact]
    public async Task A_replica_answering_NONE_again_is_at_once_no_longer_listed_offline_on_any_broker()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [3, 2, 1] });
        long epoch2 = await bed.BrokerEpochAsync(2);
        bed.Channel.Answer(2, epoch2, Answer(topicId, (0, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Equal([2], Partition(bed.Channel.Sent<UpdateMetadataRequestData>().FindLast(s => s.BrokerId == 1).Request, 0).OfflineReplicas);
        bed.Channel.Clear();

        // Its log is back (a later LeaderAndIsr created it): nothing else about the topic changes.
        bed.Channel.Answer(2, epoch2, Answer(topicId, (0, ErrorCode.None)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        foreach (int broker in new[] { 1, 2, 3 })
        {
            (_, UpdateMetadataRequestData metadata) = Assert.Single(bed.Channel.Sent<UpdateMetadataRequestData>(), s => s.BrokerId == broker);
            Assert.Empty(Partition(metadata, 0).OfflineReplicas);
            Assert.Equal(3, Partition(metadata, 0).Leader);
        }

        // The same answer again says nothing new and sends nothing.
        bed.Channel.Clear();
        bed.Channel.Answer(2, epoch2, Answer(topicId, (0, ErrorCode.None)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Empty(bed.Channel.Sent<UpdateMetadataRequestData>());
    }

    [Fact]
    public async Task A_partition_left_leaderless_by_its_last_isr_member_going_offline_elects_it_when_it_answers_NONE_again()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        (Uuid topicId, long epoch2) = await LeaveLeaderlessAsync(bed);

        bed.Channel.Answer(2, epoch2, Answer(topicId, (0, ErrorCode.None)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);

        PartitionStateZNode after = (await bed.StateAsync(0)).State;
        Assert.Equal(2, after.Leader);
        Assert.Equal([2], after.Isr);
        Assert.Contains(bed.Channel.Sent<LeaderAndIsrRequestData>(), s => s.BrokerId == 2 && s.Request.TopicStates[0].PartitionStates.Exists(p => p.PartitionIndex == 0 && p.Leader == 2));
        foreach (int broker in new[] { 1, 2, 3 })
        {
            UpdateMetadataRequestData metadata = bed.Channel.Sent<UpdateMetadataRequestData>().FindLast(s => s.BrokerId == broker).Request;
            Assert.Equal(2, Partition(metadata, 0).Leader);
            Assert.Empty(Partition(metadata, 0).OfflineReplicas);
        }
    }

    [Fact]
    public async Task An_election_for_a_replica_back_online_that_the_store_refused_is_retried_once_the_store_is_back()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        (Uuid topicId, long epoch2) = await LeaveLeaderlessAsync(bed);

        // Back online while the controller's writes are lost: the election cannot be written.
        bed.Session.FailWrites = true;
        bed.Channel.Answer(2, epoch2, Answer(topicId, (0, ErrorCode.None)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Equal(PartitionStateZNode.NoLeader, (await bed.StateAsync(0)).State.Leader);

        // No further answer comes; the controller retries on its own once the store takes writes.
        bed.Session.FailWrites = false;
        await Polling.UntilAsync(async () => (await bed.StateAsync(0)).State.Leader == 2, Patience, "the refused election is retried");
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Contains(bed.Channel.Sent<LeaderAndIsrRequestData>(), s => s.BrokerId == 2 && s.Request.TopicStates[0].PartitionStates.Exists(p => p.PartitionIndex == 0 && p.Leader == 2));
    }

    [Fact]
    public async Task A_topic_whose_creator_leaves_just_after_its_znodes_are_written_still_gets_its_leaders()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();

        // The client's connection closes (cancelling its request) right after the topic is written:
        // librdkafka does this to its bootstrap connection once it knows the brokers.
        using var request = new CancellationTokenSource();
        bed.Session.AfterMulti = request.Cancel;
        try
        {
            await bed.Controller.CreateTopicsAsync([new TopicCreation(Topic, -1, -1, new Dictionary<int, int[]> { [0] = [2, 3, 1] }, new Dictionary<string, string>())], false, request.Token);
        }
        catch (OperationCanceledException)
        {
            // The requester stopped waiting; the creation goes on without it.
        }

        bed.Session.AfterMulti = null;
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        PartitionStateZNode state = (await bed.StateAsync(0)).State;
        Assert.Equal(2, state.Leader);
        Assert.Equal([2, 3, 1], state.Isr);
        Assert.Contains(bed.Channel.Sent<LeaderAndIsrRequestData>(), s => s.BrokerId == 2 && s.Request.TopicStates[0].PartitionStates.Exists(p => p.PartitionIndex == 0 && p.Leader == 2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_last_isr_member_going_offline_leaves_the_partition_leaderless_unless_unclean_election_is_on(bool unclean)
    {
        await using ControllerBed bed = await ControllerBed.StartAsync(unclean);
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3, 1] });
        (PartitionStateZNode state, int version) = await bed.StateAsync(0);
        AlterPartitionResponseData shrunk = await bed.Controller.AlterPartitionAsync(Proposal(2, state.LeaderEpoch, version, [2]), CancellationToken.None);
        Assert.Equal((short)ErrorCode.None, shrunk.Topics[0].Partitions[0].ErrorCode);

        bed.Channel.Answer(2, await bed.BrokerEpochAsync(2), Answer(topicId, (0, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);

        PartitionStateZNode after = (await bed.StateAsync(0)).State;
        if (unclean)
        {
            Assert.Equal(3, after.Leader);
            Assert.Equal([3], after.Isr);
        }
        else
        {
            // Only broker 2 is known to hold every acknowledged record: it stays the ISR, and leads when it is back.
            Assert.Equal(PartitionStateZNode.NoLeader, after.Leader);
            Assert.Equal([2], after.Isr);
        }
    }

    [Fact]
    public async Task A_new_partition_whose_replicas_all_died_before_it_had_a_leader_is_led_by_the_first_to_start()
    {
        // A broker wrote the assignment; the controller died before giving the partition a state,
        // and so did the only replica (one full-suite run hit this: __consumer_offsets created by
        // one broker while the controller, broker 3, was being killed).
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.StopControllerAsync();
        await bed.Store.DeleteAsync(ZkPaths.BrokerId(3));
        await bed.Store.CreateAsync(ZkPaths.TopicConfig(Topic), new ConfigZNode(new Dictionary<string, string>()).Encode(), CreateMode.Persistent);
        await bed.Store.CreateAsync(ZkPaths.Topic(Topic), new TopicAssignmentZNode(Uuid.NewRandom(), new Dictionary<int, int[]> { [0] = [3], [1] = [1] }).Encode(), CreateMode.Persistent);

        // The new controller leads what it can; the partition of dead broker 3 has no leader yet.
        await bed.StartControllerAsync(brokerId: 1);
        Assert.Equal(1, (await bed.StateAsync(1)).State.Leader);

        // Broker 3 starts: it leads its partition, with itself in the ISR, and is told so.
        await bed.RegisterAsync(3);
        await Polling.UntilAsync(
            async () => await bed.Store.GetDataAsync(ZkPaths.TopicPartitionState(Topic, 0)) is { } data && PartitionStateZNode.Decode(data.Data.Span).Leader == 3,
            Patience,
            "partition 0 is led by broker 3");
        (PartitionStateZNode led, _) = await bed.StateAsync(0);
        Assert.Equal([3], led.Isr);
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Contains(bed.Channel.Sent<LeaderAndIsrRequestData>(), s => s.BrokerId == 3 && s.Request.TopicStates.Exists(t => t.PartitionStates.Exists(p => p.PartitionIndex == 0 && p.Leader == 3)));
    }

    [Fact]
    public async Task Log_dir_events_make_the_controller_ask_that_broker_once_and_are_deleted()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3], [1] = [1, 3], [2] = [1, 2] });
        bed.Channel.Clear();

        // Two events from broker 3 (a burst), one from a broker that is not registered, one unreadable.
        await bed.Store.MultiAsync(
            [
                CoordinationOp.Create(LogDirEventNotificationZNode.PathPrefix, LogDirEventNotificationZNode.Encode(3), CreateMode.PersistentSequential),
                CoordinationOp.Create(LogDirEventNotificationZNode.PathPrefix, LogDirEventNotificationZNode.Encode(3), CreateMode.PersistentSequential),
                CoordinationOp.Create(LogDirEventNotificationZNode.PathPrefix, LogDirEventNotificationZNode.Encode(9), CreateMode.PersistentSequential),
                CoordinationOp.Create(LogDirEventNotificationZNode.PathPrefix, "not json"u8.ToArray(), CreateMode.PersistentSequential),
            ]);
        await bed.WaitForNoNotificationsAsync();
        await bed.Controller.WhenIdleAsync(CancellationToken.None);

        // One question to broker 3, about every replica it hosts; nobody else is asked.
        (int asked, LeaderAndIsrRequestData request) = Assert.Single(bed.Channel.Sent<LeaderAndIsrRequestData>());
        Assert.Equal(3, asked);
        Assert.Equal([0, 1], request.TopicStates.Single().PartitionStates.Select(p => p.PartitionIndex).Order());

        // Its answer that partition 1's replica is offline takes it out of that ISR.
        bed.Channel.Answer(3, request.BrokerEpoch, Answer(topicId, (0, ErrorCode.None), (1, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        int[] shrunkIsr = (await bed.StateAsync(1)).State.Isr;
        Assert.Equal([1], shrunkIsr);
        int[] untouchedIsr = (await bed.StateAsync(0)).State.Isr;
        Assert.Equal([2, 3], untouchedIsr);
    }

    [Fact]
    public async Task A_new_controller_drops_old_events_and_learns_offline_replicas_from_its_first_LeaderAndIsr()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3, 1] });
        bed.Channel.Answer(2, await bed.BrokerEpochAsync(2), Answer(topicId, (0, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Equal(3, (await bed.StateAsync(0)).State.Leader);

        // The controller goes away with events pending; a new one takes over.
        await bed.StopControllerAsync();
        await bed.Store.CreateAsync(LogDirEventNotificationZNode.PathPrefix, LogDirEventNotificationZNode.Encode(2), CreateMode.PersistentSequential);
        await bed.Store.CreateAsync(LogDirEventNotificationZNode.PathPrefix, LogDirEventNotificationZNode.Encode(3), CreateMode.PersistentSequential);
        RecordingControllerChannel channel = await bed.StartControllerAsync(brokerId: 1);

        // Its first LeaderAndIsr asks every broker about every replica, which handles the pending events.
        Assert.Empty(await bed.NotificationsAsync());
        Assert.Equal([1, 2, 3], channel.Sent<LeaderAndIsrRequestData>().Select(s => s.BrokerId).Distinct().Order());

        // It knows nothing of the offline replica until broker 2 answers so; then every broker hears.
        UpdateMetadataRequestData first = channel.Sent<UpdateMetadataRequestData>()[^1].Request;
        Assert.Empty(Partition(first, 0).OfflineReplicas);
        channel.Answer(2, await bed.BrokerEpochAsync(2), Answer(topicId, (0, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        foreach (int broker in new[] { 1, 2, 3 })
        {
            Assert.Equal([2], Partition(channel.Sent<UpdateMetadataRequestData>().FindLast(s => s.BrokerId == broker).Request, 0).OfflineReplicas);
        }

        // Broker 2 registering again (a restart) starts it with a clean slate.
        channel.Clear();
        await bed.Store.DeleteAsync(ZkPaths.BrokerId(2));
        await bed.RegisterAsync(2);
        await Polling.UntilAsync(() => channel.Sent<UpdateMetadataRequestData>().Exists(s => s.BrokerId == 1 && Partition(s.Request, 0).OfflineReplicas.Count == 0), Patience, "the controller forgets broker 2's offline replica when it registers again");
    }

    [Fact]
    public async Task An_election_the_store_refused_is_finished_once_the_store_is_back_and_the_offline_leader_may_not_alter_the_isr_meanwhile()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3, 1], [1] = [2, 1, 3] });
        (PartitionStateZNode before, int beforeVersion) = await bed.StateAsync(0);
        bed.Channel.Clear();

        // Broker 2's replicas go offline while the controller's writes are lost.
        bed.Session.FailWrites = true;
        bed.Channel.Answer(2, await bed.BrokerEpochAsync(2), Answer(topicId, (0, ErrorCode.KafkaStorageError), (1, ErrorCode.KafkaStorageError)));
        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        Assert.Equal(2, (await bed.StateAsync(0)).State.Leader);

        // Still the leader in the store, but known offline: its ISR proposals are refused.
        AlterPartitionResponseData refused = await bed.Controller.AlterPartitionAsync(Proposal(2, before.LeaderEpoch, beforeVersion, [2, 3]), CancellationToken.None);
        Assert.Equal((short)ErrorCode.NotLeaderOrFollower, refused.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal(beforeVersion, (await bed.StateAsync(0)).Version);

        // No further answer comes; the controller retries on its own once the store takes writes.
        bed.Session.FailWrites = false;
        await Polling.UntilAsync(async () => (await bed.StateAsync(0)).State.Leader == 3 && (await bed.StateAsync(1)).State.Leader == 1, Patience, "the refused election is retried");

        await bed.Controller.WhenIdleAsync(CancellationToken.None);
        int[] isr0 = (await bed.StateAsync(0)).State.Isr;
        Assert.Equal([3, 1], isr0);
        int[] isr1 = (await bed.StateAsync(1)).State.Isr;
        Assert.Equal([1, 3], isr1);

        // The new leaders, the offline replicas and the StopReplica all went out.
        Assert.Contains(bed.Channel.Sent<LeaderAndIsrRequestData>(), s => s.BrokerId == 3 && s.Request.TopicStates[0].PartitionStates.Exists(p => p.PartitionIndex == 0 && p.Leader == 3));
        Assert.Contains(bed.Channel.Sent<LeaderAndIsrRequestData>(), s => s.BrokerId == 1 && s.Request.TopicStates[0].PartitionStates.Exists(p => p.PartitionIndex == 1 && p.Leader == 1));
        UpdateMetadataRequestData metadata = bed.Channel.Sent<UpdateMetadataRequestData>().FindLast(s => s.BrokerId == 3).Request;
        Assert.Equal([2], Partition(metadata, 0).OfflineReplicas);
        Assert.Equal([2], Partition(metadata, 1).OfflineReplicas);
        Assert.Equal([0, 1], bed.Channel.Sent<StopReplicaRequestData>().Where(s => s.BrokerId == 2).SelectMany(s => s.Request.TopicStates.Single().PartitionStates).Select(p => p.PartitionIndex).Distinct().Order());
    }

    [Fact]
    public async Task An_election_refused_for_several_retries_logs_one_warning_and_one_recovery_not_one_line_per_retry()
    {
        var logger = new RecordingLogger();
        await using ControllerBed bed = await ControllerBed.StartAsync(logger: logger);
        Uuid topicId = await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3, 1] });

        // Refused writes: the election is retried every 500 ms, each attempt sending its write
        // ConnectionLoss.MaxAttempts times; let at least five attempts fail.
        bed.Session.FailWrites = true;
        bed.Channel.Answer(2, await bed.BrokerEpochAsync(2), Answer(topicId, (0, ErrorCode.KafkaStorageError)));
        await Polling.UntilAsync(() => bed.Session.RefusedWrites >= 5 * ConnectionLoss.MaxAttempts, Patience, "the election is retried");
        bed.Session.FailWrites = false;
        await Polling.UntilAsync(async () => (await bed.StateAsync(0)).State.Leader == 3, Patience, "the refused election is finished");
        await bed.Controller.WhenIdleAsync(CancellationToken.None);

        // Within 30 s: the first failure only, then one line saying it recovered, with the count.
        IReadOnlyList<(LogLevel Level, string Message)> entries = logger.Entries;
        Assert.Single(entries, e => e.Level == LogLevel.Warning && e.Message.Contains("electing without broker 2's offline replicas", StringComparison.Ordinal));
        (_, string recovered) = Assert.Single(entries, e => e.Level == LogLevel.Information && e.Message.Contains("finished electing without broker 2's offline replicas", StringComparison.Ordinal));
        Assert.Matches(@"after ([5-9]|\d\d+) failed attempts", recovered);
    }

    [Fact]
    public async Task A_late_error_for_a_topic_id_the_controller_does_not_know_is_not_charged_to_a_topic_of_the_same_name()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3, 1] });
        (_, int version) = await bed.StateAsync(0);

        // An answer about a deleted incarnation of the topic: another id, the same name.
        var stale = new LeaderAndIsrResponseData.LeaderAndIsrTopicError { TopicId = Uuid.NewRandom() };
        stale.PartitionErrors.Add(new LeaderAndIsrResponseData.LeaderAndIsrPartitionError { TopicName = Topic, PartitionIndex = 0, ErrorCode = (short)ErrorCode.KafkaStorageError });
        bed.Channel.Answer(2, await bed.BrokerEpochAsync(2), new LeaderAndIsrResponseData { Topics = [stale] });
        await bed.Controller.WhenIdleAsync(CancellationToken.None);

        (PartitionStateZNode after, int afterVersion) = await bed.StateAsync(0);
        Assert.Equal(2, after.Leader);
        Assert.Equal(version, afterVersion);
    }

    [Fact]
    public async Task A_log_dir_event_whose_handling_the_store_refused_is_handled_again_and_deleted_once_the_store_is_back()
    {
        await using ControllerBed bed = await ControllerBed.StartAsync();
        await bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [2, 3] });
        bed.Channel.Clear();

        // The controller reads the event and asks broker 3, but cannot delete it.
        bed.Session.FailWrites = true;
        await bed.Store.CreateAsync(LogDirEventNotificationZNode.PathPrefix, LogDirEventNotificationZNode.Encode(3), CreateMode.PersistentSequential);
        await Polling.UntilAsync(() => bed.Channel.Sent<LeaderAndIsrRequestData>().Exists(s => s.BrokerId == 3), Patience, "the controller asks broker 3");

        Assert.Single(await bed.NotificationsAsync());

        // No new notification comes to fire the watch; the controller retries by itself.
        bed.Session.FailWrites = false;
        await bed.WaitForNoNotificationsAsync();
        Assert.True(bed.Channel.Sent<LeaderAndIsrRequestData>().Count(s => s.BrokerId == 3) >= 2, "the retry asked broker 3 again");
    }

    private static LeaderAndIsrResponseData Answer(Uuid topicId, params (int Partition, ErrorCode Error)[] partitions)
    {
        var topic = new LeaderAndIsrResponseData.LeaderAndIsrTopicError { TopicId = topicId };
        foreach ((int partition, ErrorCode error) in partitions)
        {
            topic.PartitionErrors.Add(new LeaderAndIsrResponseData.LeaderAndIsrPartitionError { PartitionIndex = partition, ErrorCode = (short)error });
        }

        return new LeaderAndIsrResponseData { Topics = [topic] };
    }

    private static UpdateMetadataRequestData.UpdateMetadataPartitionState Partition(UpdateMetadataRequestData request, int partition) =>
        request.TopicStates.Single(t => t.TopicName == Topic).PartitionStates.Single(p => p.PartitionIndex == partition);

    private static AlterPartitionRequestData Expand(PartitionStateZNode state, int version, int[] isr) => Proposal(state.Leader, state.LeaderEpoch, version, isr);

    private static AlterPartitionRequestData Proposal(int leader, int leaderEpoch, int partitionEpoch, int[] isr) => new()
    {
        BrokerId = leader,
        BrokerEpoch = -1,
        Topics = [new AlterPartitionRequestData.TopicData { TopicName = Topic, Partitions = [new AlterPartitionRequestData.PartitionData { PartitionIndex = 0, LeaderEpoch = leaderEpoch, PartitionEpoch = partitionEpoch, NewIsr = [.. isr] }] }],
    };
}
