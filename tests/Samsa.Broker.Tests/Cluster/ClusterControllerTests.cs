using Samsa.Broker.Partitions;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Cluster;

/// <summary>
/// The controller driving three real brokers in one process over real sockets: placement and
/// leadership, broker failure and return, controller failover, fencing, deletion and the
/// AlterPartition rules.
/// </summary>
public sealed class ClusterControllerTests
{
    private const string Topic = "orders";

    [Fact]
    public async Task A_replicated_topic_has_spread_leaders_and_a_full_isr_on_every_broker()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        await CreateTopicAsync(cluster, Topic, partitions: 3, replicationFactor: 3);

        foreach (int broker in new[] { 1, 2, 3 })
        {
            await InProcessCluster.WaitUntilAsync(async () => HasFullIsr(await cluster.MetadataAsync(broker, Topic), 3), $"broker {broker} reports ISR 3 for every partition");
            MetadataResponseData metadata = await cluster.MetadataAsync(broker, Topic);
            Assert.Equal(3, metadata.Brokers.Count);
            var leaders = new HashSet<int>();
            foreach (MetadataResponseData.MetadataResponsePartition partition in metadata.Topics[0].Partitions)
            {
                Assert.Equal(3, partition.ReplicaNodes.Count);
                Assert.Equal(partition.ReplicaNodes[0], partition.LeaderId);
                leaders.Add(partition.LeaderId);
            }

            // Round-robin placement: three partitions over three brokers, one leadership each.
            Assert.Equal(3, leaders.Count);
        }

        // Every broker hosts every replica, as leader or follower, after LeaderAndIsr.
        foreach (KafkaBroker broker in cluster.Brokers.Values)
        {
            for (int p = 0; p < 3; p++)
            {
                Partition? local = broker.Partitions.Get(Topic, p);
                Assert.NotNull(local);
                Assert.Equal(local.LeaderId == broker.BrokerId, local.IsLeader);
            }
        }
    }

    [Fact]
    public async Task Every_broker_reports_the_real_controller_and_admin_requests_elsewhere_get_NOT_CONTROLLER()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        foreach (int broker in new[] { 1, 2, 3 })
        {
            MetadataResponseData metadata = await cluster.MetadataAsync(broker);
            Assert.Equal(controller.BrokerId, metadata.ControllerId);
            DescribeClusterResponseData described = await cluster.SendAsync<DescribeClusterResponseData>(broker, new DescribeClusterRequestData { EndpointType = 1 }, 1);
            Assert.Equal(controller.BrokerId, described.ControllerId);
        }

        int other = controller.BrokerId % 3 + 1;
        CreateTopicsResponseData created = await cluster.SendAsync<CreateTopicsResponseData>(other, CreateTopicsRequest("elsewhere", 1, 1), 7);
        Assert.Equal((short)ErrorCode.NotController, created.Topics[0].ErrorCode);
        DeleteTopicsResponseData deleted = await cluster.SendAsync<DeleteTopicsResponseData>(other, new DeleteTopicsRequestData { TopicNames = ["elsewhere"] }, 5);
        Assert.Equal((short)ErrorCode.NotController, deleted.Responses[0].ErrorCode);
        ElectLeadersResponseData elected = await cluster.SendAsync<ElectLeadersResponseData>(other, new ElectLeadersRequestData { TopicPartitions = null }, 2);
        Assert.Equal((short)ErrorCode.NotController, elected.ErrorCode);
    }

    [Fact]
    public async Task A_failed_broker_loses_its_leaderships_and_isr_places_and_gets_them_back_on_restart()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        await CreateTopicAsync(cluster, Topic, partitions: 3, replicationFactor: 3);
        int victim = controller.BrokerId % 3 + 1;
        int survivor = 6 - controller.BrokerId - victim;
        await InProcessCluster.WaitUntilAsync(async () => HasFullIsr(await cluster.MetadataAsync(survivor, Topic), 3), "the topic is fully replicated");
        MetadataResponseData before = await cluster.MetadataAsync(survivor, Topic);

        await cluster.KillAsync(victim);

        await InProcessCluster.WaitUntilAsync(
            async () =>
            {
                MetadataResponseData now = await cluster.MetadataAsync(survivor, Topic);
                foreach (MetadataResponseData.MetadataResponsePartition partition in now.Topics[0].Partitions)
                {
                    if (partition.LeaderId == victim || partition.LeaderId < 0 || partition.IsrNodes.Count != 2 || partition.IsrNodes.Contains(victim))
                    {
                        return false;
                    }
                }

                return now.Brokers.Count == 2;
            },
            "every partition has a live leader and ISR 2");
        MetadataResponseData after = await cluster.MetadataAsync(survivor, Topic);
        for (int p = 0; p < 3; p++)
        {
            MetadataResponseData.MetadataResponsePartition old = before.Topics[0].Partitions[p];
            MetadataResponseData.MetadataResponsePartition now = after.Topics[0].Partitions[p];
            Assert.True(now.LeaderEpoch > old.LeaderEpoch, "every ISR change bumps the leader epoch");
            Assert.Contains(victim, now.OfflineReplicas);
            if (old.LeaderId != victim)
            {
                Assert.Equal(old.LeaderId, now.LeaderId);
            }
        }

        // Its log files survive; on restart the controller tells it about all its replicas again.
        KafkaBroker restarted = await cluster.StartBrokerAsync(victim);
        await InProcessCluster.WaitUntilAsync(
            () =>
            {
                for (int p = 0; p < 3; p++)
                {
                    if (restarted.Partitions.Get(Topic, p) is not { LeaderId: >= 0 } partition || partition.LeaderId == victim)
                    {
                        return Task.FromResult(false);
                    }
                }

                return Task.FromResult(restarted.Metadata.Current.Brokers.Count == 3);
            },
            "the restarted broker follows its partitions again");
    }

    [Fact]
    public async Task A_partition_whose_last_isr_member_died_goes_offline_and_comes_back_with_it()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        int host = controller.BrokerId % 3 + 1;
        CreateTopicsResponseData created = await cluster.SendAsync<CreateTopicsResponseData>(controller.BrokerId, CreateTopicsRequest("single", -1, -1, [host]), 7);
        Assert.Equal((short)ErrorCode.None, created.Topics[0].ErrorCode);

        await cluster.KillAsync(host);
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.MetadataAsync(controller.BrokerId, "single")).Topics[0].Partitions is [{ LeaderId: -1, ErrorCode: (short)ErrorCode.LeaderNotAvailable }],
            "the partition is offline");

        // unclean.leader.election.enable=false: the ISR keeps its last member, which leads again on return.
        PartitionStateZNode state = await ReadStateAsync(cluster, "single", 0);
        Assert.Equal([host], state.Isr);

        await cluster.StartBrokerAsync(host);
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.MetadataAsync(controller.BrokerId, "single")).Topics[0].Partitions[0].LeaderId == host,
            "the partition has its leader back");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_topic_that_allows_unclean_election_gets_an_out_of_sync_leader_when_its_isr_is_gone(bool byClusterDefault)
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        int first = controller.BrokerId % 3 + 1;
        int second = 6 - controller.BrokerId - first;
        CreateTopicsRequestData request = CreateTopicsRequest("lossy", -1, -1, [first, second]);
        if (byClusterDefault)
        {
            // kafka-configs.sh --entity-type brokers --entity-default --alter --add-config unclean.leader.election.enable=true
            var alter = new IncrementalAlterConfigsRequestData.AlterConfigsResource { ResourceType = 4, ResourceName = string.Empty };
            alter.Configs.Add(new IncrementalAlterConfigsRequestData.AlterableConfig { Name = "unclean.leader.election.enable", ConfigOperation = 0, Value = "true" });
            IncrementalAlterConfigsResponseData altered = await cluster.SendAsync<IncrementalAlterConfigsResponseData>(controller.BrokerId, new IncrementalAlterConfigsRequestData { Resources = [alter] }, 1);
            Assert.Equal((short)ErrorCode.None, altered.Responses[0].ErrorCode);
        }
        else
        {
            request.Topics[0].Configs.Add(new CreateTopicsRequestData.CreatableTopicConfig { Name = "unclean.leader.election.enable", Value = "true" });
        }

        CreateTopicsResponseData created = await cluster.SendAsync<CreateTopicsResponseData>(controller.BrokerId, request, 7);
        Assert.Equal((short)ErrorCode.None, created.Topics[0].ErrorCode);
        await InProcessCluster.WaitUntilAsync(async () => HasFullIsr(await cluster.MetadataAsync(controller.BrokerId, "lossy"), 2), "both replicas are in sync");

        // The follower dies (and leaves the ISR), then the leader: no ISR member is left.
        await cluster.KillAsync(second);
        await InProcessCluster.WaitUntilAsync(async () => (await ReadStateAsync(cluster, "lossy", 0)).Isr is [var only] && only == first, "the ISR is the leader alone");
        await cluster.KillAsync(first);
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.MetadataAsync(controller.BrokerId, "lossy")).Topics[0].Partitions is [{ LeaderId: -1 }],
            "the partition is offline");

        // server.properties says false; the topic's own setting or the dynamic default lets the out-of-sync replica lead.
        await cluster.StartBrokerAsync(second);
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.MetadataAsync(controller.BrokerId, "lossy")).Topics[0].Partitions[0].LeaderId == second,
            "the out-of-sync replica leads");
        Assert.Equal([second], (await ReadStateAsync(cluster, "lossy", 0)).Isr);
    }

    [Fact]
    public async Task When_the_controller_dies_another_broker_takes_over_with_a_higher_epoch()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker first = await cluster.ControllerAsync();
        int firstId = first.BrokerId;
        int firstEpoch = first.Controller.Epoch;
        await CreateTopicAsync(cluster, Topic, partitions: 3, replicationFactor: 3);

        await cluster.KillAsync(firstId);

        KafkaBroker second = await cluster.ControllerAsync();
        Assert.NotEqual(firstId, second.BrokerId);
        Assert.True(second.Controller.Epoch > firstEpoch);
        NodeData? epochNode = await cluster.Store.GetDataAsync(ZkPaths.ControllerEpoch);
        Assert.Equal(second.Controller.Epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.UTF8.GetString(epochNode!.Data.Span));
        foreach (KafkaBroker broker in cluster.Brokers.Values)
        {
            await InProcessCluster.WaitUntilAsync(
                async () =>
                {
                    MetadataResponseData metadata = await cluster.MetadataAsync(broker.BrokerId, Topic);
                    foreach (MetadataResponseData.MetadataResponsePartition partition in metadata.Topics[0].Partitions)
                    {
                        if (partition.LeaderId == firstId || partition.LeaderId < 0)
                        {
                            return false;
                        }
                    }

                    return metadata.ControllerId == second.BrokerId;
                },
                $"broker {broker.BrokerId} follows the new controller");
        }

        // The new controller still does a controller's work.
        await CreateTopicAsync(cluster, "after-failover", partitions: 2, replicationFactor: 2);
    }

    [Fact]
    public async Task A_broker_whose_session_expired_registers_again_and_is_treated_as_restarted()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        await CreateTopicAsync(cluster, Topic, partitions: 3, replicationFactor: 3);
        KafkaBroker victim = cluster.Brokers[controller.BrokerId % 3 + 1];
        long oldSession = victim.SessionId;
        long oldEpoch = victim.BrokerEpoch;
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(victim.Partitions.Get(Topic, 0) is not null), "the broker hosts its replicas");

        Assert.True(cluster.Store.ExpireSession(oldSession));

        // A new session, a new registration (broker epoch = its czxid), and the controller's requests again.
        await InProcessCluster.WaitUntilAsync(
            async () => victim.SessionId != oldSession && victim.BrokerEpoch > oldEpoch && await cluster.Store.ExistsAsync(ZkPaths.BrokerId(victim.BrokerId)) is { } stat && stat.EphemeralOwner == victim.SessionId,
            "the broker registered again");
        await InProcessCluster.WaitUntilAsync(
            async () =>
            {
                MetadataResponseData metadata = await cluster.MetadataAsync(controller.BrokerId, Topic);
                return metadata.Brokers.Count == 3 && victim.Partitions.Get(Topic, 0) is { LeaderId: >= 0 } && victim.Metadata.Current.Brokers.Count == 3;
            },
            "the cluster has the broker back");

        // The new session watches topic config changes again: an override altered now reaches its log.
        IncrementalAlterConfigsResponseData altered = await cluster.SendAsync<IncrementalAlterConfigsResponseData>(controller.BrokerId, new IncrementalAlterConfigsRequestData
        {
            Resources =
            [
                new IncrementalAlterConfigsRequestData.AlterConfigsResource
                {
                    ResourceType = 2, // TOPIC
                    ResourceName = Topic,
                    Configs = [new IncrementalAlterConfigsRequestData.AlterableConfig { Name = "retention.ms", ConfigOperation = 0, Value = "123456" }],
                },
            ],
        }, 1);
        Assert.Equal((short)ErrorCode.None, altered.Responses[0].ErrorCode);
        await InProcessCluster.WaitUntilAsync(
            () => Task.FromResult(victim.Partitions.Get(Topic, 0) is { } partition && partition.Log.Config.RetentionMs == 123456),
            "the re-registered broker applied the altered topic config");

        // Its old registration's requests are stale now.
        LeaderAndIsrResponseData stale = await cluster.SendAsync<LeaderAndIsrResponseData>(victim.BrokerId, new LeaderAndIsrRequestData { ControllerId = controller.BrokerId, ControllerEpoch = controller.Controller.Epoch, BrokerEpoch = oldEpoch }, 6);
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, stale.ErrorCode);
    }

    [Fact]
    public async Task A_broker_whose_registration_after_an_expiry_is_lost_keeps_trying_until_it_is_registered()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        KafkaBroker victim = cluster.Brokers[controller.BrokerId % 3 + 1];
        long oldSession = victim.SessionId;

        // Its new session loses its first writes (a ZooKeeper server failing over as it opens):
        // the registration is lost, and more than once.
        cluster.RenewedSessionsFailWrites = true;
        Assert.True(cluster.Store.ExpireSession(oldSession));
        await InProcessCluster.WaitUntilAsync(
            () => Task.FromResult(cluster.RenewedSessions.TryGetValue(victim.BrokerId, out FaultableSession? renewed) && renewed.RefusedWrites >= 2),
            "the registration on the new session was tried and lost twice");
        Assert.Null(await cluster.Store.ExistsAsync(ZkPaths.BrokerId(victim.BrokerId)));

        // The ensemble answers again: the broker registers without another expiry, and the cluster has it back.
        cluster.RenewedSessions[victim.BrokerId].FailWrites = false;
        await InProcessCluster.WaitUntilAsync(
            async () => await cluster.Store.ExistsAsync(ZkPaths.BrokerId(victim.BrokerId)) is { } stat && stat.EphemeralOwner == victim.SessionId && victim.SessionId != oldSession,
            "the broker registered");
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.MetadataAsync(controller.BrokerId)).Brokers.Count == 3 && victim.Metadata.Current.Brokers.Count == 3,
            "the cluster has the broker back");
    }

    [Fact]
    public async Task The_controller_whose_session_expired_resigns_and_a_controller_with_a_higher_epoch_follows()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker first = await cluster.ControllerAsync();
        int firstEpoch = first.Controller.Epoch;

        Assert.True(cluster.Store.ExpireSession(first.SessionId));

        await InProcessCluster.WaitUntilAsync(
            () =>
            {
                int active = 0;
                int epoch = 0;
                foreach (KafkaBroker broker in cluster.Brokers.Values)
                {
                    if (broker.Controller.IsActive)
                    {
                        active++;
                        epoch = broker.Controller.Epoch;
                    }
                }

                return Task.FromResult(active == 1 && epoch > firstEpoch);
            },
            "exactly one controller with a higher epoch");
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(first.Metadata.Current.Brokers.Count == 3 && first.Metadata.Current.ControllerEpoch > firstEpoch), "the old controller follows the new one");
    }

    [Fact]
    public async Task Control_requests_from_an_older_controller_epoch_are_refused()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        await CreateTopicAsync(cluster, Topic, partitions: 1, replicationFactor: 3);
        int target = controller.BrokerId % 3 + 1;
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(cluster.Brokers[target].Partitions.Get(Topic, 0) is not null), "the replica exists");
        int epoch = controller.Controller.Epoch;
        Partition replica = cluster.Brokers[target].Partitions.Get(Topic, 0)!;
        int leaderBefore = replica.LeaderId;

        var stale = new LeaderAndIsrRequestData
        {
            ControllerId = 99,
            ControllerEpoch = epoch - 1,
            TopicStates =
            [
                new LeaderAndIsrRequestData.LeaderAndIsrTopicState
                {
                    TopicName = Topic,
                    TopicId = replica.TopicId,
                    PartitionStates = [new LeaderAndIsrRequestData.LeaderAndIsrPartitionState { TopicName = Topic, PartitionIndex = 0, ControllerEpoch = epoch - 1, Leader = target, LeaderEpoch = 100, Isr = [target], Replicas = [target] }],
                },
            ],
        };
        LeaderAndIsrResponseData refused = await cluster.SendAsync<LeaderAndIsrResponseData>(target, stale, 6);
        Assert.Equal((short)ErrorCode.StaleControllerEpoch, refused.ErrorCode);
        Assert.Equal(leaderBefore, replica.LeaderId);

        UpdateMetadataResponseData metadata = await cluster.SendAsync<UpdateMetadataResponseData>(target, new UpdateMetadataRequestData { ControllerId = 99, ControllerEpoch = epoch - 1 }, 7);
        Assert.Equal((short)ErrorCode.StaleControllerEpoch, metadata.ErrorCode);
        StopReplicaResponseData stop = await cluster.SendAsync<StopReplicaResponseData>(target, new StopReplicaRequestData { ControllerId = 99, ControllerEpoch = epoch - 1 }, 3);
        Assert.Equal((short)ErrorCode.StaleControllerEpoch, stop.ErrorCode);
        Assert.Equal(3, cluster.Brokers[target].Metadata.Current.Brokers.Count);
    }

    [Fact]
    public async Task Deleting_a_topic_removes_its_logs_on_every_broker()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        await CreateTopicAsync(cluster, Topic, partitions: 2, replicationFactor: 3);
        foreach (int broker in new[] { 1, 2, 3 })
        {
            await InProcessCluster.WaitUntilAsync(() => Task.FromResult(Directory.Exists(Path.Combine(cluster.LogDir(broker), Topic + "-1"))), $"broker {broker} has the log");
        }

        DeleteTopicsResponseData deleted = await cluster.SendAsync<DeleteTopicsResponseData>(controller.BrokerId, new DeleteTopicsRequestData { TopicNames = [Topic], TimeoutMs = 10000 }, 5);
        Assert.Equal((short)ErrorCode.None, deleted.Responses[0].ErrorCode);

        foreach (int broker in new[] { 1, 2, 3 })
        {
            await InProcessCluster.WaitUntilAsync(
                async () =>
                {
                    bool logsGone = !Directory.Exists(Path.Combine(cluster.LogDir(broker), Topic + "-0")) && !Directory.Exists(Path.Combine(cluster.LogDir(broker), Topic + "-1"));
                    MetadataResponseData metadata = await cluster.MetadataAsync(broker, Topic);
                    return logsGone && metadata.Topics[0].ErrorCode == (short)ErrorCode.UnknownTopicOrPartition;
                },
                $"broker {broker} dropped the topic");
        }

        Assert.Null(await cluster.Store.ExistsAsync(ZkPaths.Topic(Topic)));
    }

    [Fact]
    public async Task A_topic_deleted_while_a_replica_was_down_leaves_that_brokers_disk_when_it_returns()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        int victim = controller.BrokerId % 3 + 1;
        await CreateTopicAsync(cluster, Topic, partitions: 2, replicationFactor: 3);
        await CreateTopicAsync(cluster, "kept", partitions: 1, replicationFactor: 3);
        string deletedLog = Path.Combine(cluster.LogDir(victim), Topic + "-1");
        string keptLog = Path.Combine(cluster.LogDir(victim), "kept-0");
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(Directory.Exists(deletedLog) && Directory.Exists(keptLog)), "the victim has both topics' logs");

        await cluster.KillAsync(victim);
        DeleteTopicsResponseData deleted = await cluster.SendAsync<DeleteTopicsResponseData>(controller.BrokerId, new DeleteTopicsRequestData { TopicNames = [Topic], TimeoutMs = 10000 }, 5);
        Assert.Equal((short)ErrorCode.None, deleted.Responses[0].ErrorCode);
        Assert.True(Directory.Exists(deletedLog), "nobody could tell the stopped broker");

        await cluster.StartBrokerAsync(victim);

        await InProcessCluster.WaitUntilAsync(
            () => Task.FromResult(!Directory.Exists(deletedLog) && !Directory.Exists(Path.Combine(cluster.LogDir(victim), Topic + "-0"))),
            "the returning broker dropped the deleted topic's logs");
        await InProcessCluster.WaitUntilAsync(async () => HasFullIsr(await cluster.MetadataAsync(victim, "kept"), 3), "the kept topic is fully replicated again");
        Assert.True(Directory.Exists(keptLog));
    }

    [Fact]
    public async Task AlterPartition_is_checked_against_leader_epoch_and_partition_epoch()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();

        // The leader is a registration of the test's own (broker 9, never reachable), so only the
        // test proposes ISR changes: the real brokers' replication cannot race the assertions.
        const int Leader = 9;
        await using ICoordinationStore leaderSession = cluster.Store.OpenSession();
        await leaderSession.CreateAsync(ZkPaths.BrokerId(Leader), new BrokerRegistration(Leader, [("PLAINTEXT", "127.0.0.1", 9)], null, -1).Encode(0), CreateMode.Ephemeral);
        long leaderEpoch = (await leaderSession.ExistsAsync(ZkPaths.BrokerId(Leader)))!.Value.Czxid;
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(controller.Metadata.Current.Brokers.Count == 4), "the controller sees broker 9");
        int follower1 = controller.BrokerId;
        int follower2 = controller.BrokerId % 3 + 1;
        CreateTopicsResponseData created = await cluster.SendAsync<CreateTopicsResponseData>(controller.BrokerId, CreateTopicsRequest(Topic, -1, -1, [Leader, follower1, follower2]), 7);
        Assert.Equal((short)ErrorCode.None, created.Topics[0].ErrorCode);
        PartitionStateZNode state = await ReadStateAsync(cluster, Topic, 0);
        NodeStat stat = (await cluster.Store.ExistsAsync(ZkPaths.TopicPartitionState(Topic, 0)))!.Value;
        Assert.Equal(Leader, state.Leader);
        int[] shrunk = [Leader, follower1];

        AlterPartitionRequestData Proposal(int leaderEpochSeen, int partitionEpochSeen, int[] isr) => new()
        {
            BrokerId = Leader,
            BrokerEpoch = leaderEpoch,
            Topics = [new AlterPartitionRequestData.TopicData { TopicName = Topic, Partitions = [new AlterPartitionRequestData.PartitionData { PartitionIndex = 0, LeaderEpoch = leaderEpochSeen, PartitionEpoch = partitionEpochSeen, NewIsr = [.. isr] }] }],
        };

        // Only the controller answers.
        AlterPartitionResponseData elsewhere = await cluster.SendAsync<AlterPartitionResponseData>(follower2, Proposal(state.LeaderEpoch, stat.Version, shrunk), 1);
        Assert.Equal((short)ErrorCode.NotController, elsewhere.ErrorCode);

        AlterPartitionResponseData fenced = await cluster.SendAsync<AlterPartitionResponseData>(controller.BrokerId, Proposal(state.LeaderEpoch - 1, stat.Version, shrunk), 1);
        Assert.Equal((short)ErrorCode.FencedLeaderEpoch, fenced.Topics[0].Partitions[0].ErrorCode);

        AlterPartitionResponseData wrongBroker = await cluster.SendAsync<AlterPartitionResponseData>(controller.BrokerId, SetBrokerEpoch(Proposal(state.LeaderEpoch, stat.Version, shrunk), leaderEpoch + 1000), 1);
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, wrongBroker.ErrorCode);

        AlterPartitionResponseData accepted = await cluster.SendAsync<AlterPartitionResponseData>(controller.BrokerId, Proposal(state.LeaderEpoch, stat.Version, shrunk), 1);
        AlterPartitionResponseData.PartitionData result = accepted.Topics[0].Partitions[0];
        Assert.Equal((short)ErrorCode.None, result.ErrorCode);
        Assert.Equal(stat.Version + 1, result.PartitionEpoch);
        Assert.Equal(shrunk, result.Isr);
        Assert.Equal(state.LeaderEpoch, result.LeaderEpoch);
        Assert.Equal(shrunk, (await ReadStateAsync(cluster, Topic, 0)).Isr);

        // The same change again (a lost answer) is answered with the current state; an old partition epoch with a different ISR is refused.
        AlterPartitionResponseData retried = await cluster.SendAsync<AlterPartitionResponseData>(controller.BrokerId, Proposal(state.LeaderEpoch, stat.Version, shrunk), 1);
        Assert.Equal((short)ErrorCode.None, retried.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal(stat.Version + 1, retried.Topics[0].Partitions[0].PartitionEpoch);
        AlterPartitionResponseData stale = await cluster.SendAsync<AlterPartitionResponseData>(controller.BrokerId, Proposal(state.LeaderEpoch, stat.Version, state.Isr), 1);
        Assert.Equal((short)ErrorCode.InvalidUpdateVersion, stale.Topics[0].Partitions[0].ErrorCode);

        // A newer partition epoch than the controller's means the asker heard from a newer controller.
        AlterPartitionResponseData ahead = await cluster.SendAsync<AlterPartitionResponseData>(controller.BrokerId, Proposal(state.LeaderEpoch, stat.Version + 5, state.Isr), 1);
        Assert.Equal((short)ErrorCode.NotController, ahead.Topics[0].Partitions[0].ErrorCode);

        // Every broker's metadata shows the new ISR.
        foreach (int broker in new[] { 1, 2, 3 })
        {
            await InProcessCluster.WaitUntilAsync(async () => (await cluster.MetadataAsync(broker, Topic)).Topics[0].Partitions is [{ } partition] && partition.IsrNodes.Count == shrunk.Length, $"broker {broker} sees the shrunk ISR");
        }

        // Through a non-controller broker's AlterPartition channel: it finds the controller from its metadata.
        AlterPartitionResponseData expanded = await cluster.Brokers[follower2].AlterPartitions!.SendAsync(Proposal(state.LeaderEpoch, stat.Version + 1, state.Isr), CancellationToken.None);
        Assert.Equal((short)ErrorCode.None, expanded.Topics[0].Partitions[0].ErrorCode);
        Assert.Equal(stat.Version + 2, expanded.Topics[0].Partitions[0].PartitionEpoch);
        Assert.Equal(state.Isr, (await ReadStateAsync(cluster, Topic, 0)).Isr);
    }

    private static AlterPartitionRequestData SetBrokerEpoch(AlterPartitionRequestData request, long brokerEpoch)
    {
        request.BrokerEpoch = brokerEpoch;
        return request;
    }

    [Fact]
    public async Task Controlled_shutdown_moves_leadership_away_before_the_broker_stops()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        await CreateTopicAsync(cluster, Topic, partitions: 3, replicationFactor: 3);
        int leaving = controller.BrokerId % 3 + 1;
        await InProcessCluster.WaitUntilAsync(async () => HasFullIsr(await cluster.MetadataAsync(controller.BrokerId, Topic), 3), "the topic is fully replicated");

        await cluster.StopAsync(leaving);

        // Moved by the controlled shutdown (and the ISR shrunk), not left offline until a session timeout.
        MetadataResponseData metadata = await cluster.MetadataAsync(controller.BrokerId, Topic);
        await InProcessCluster.WaitUntilAsync(
            async () =>
            {
                metadata = await cluster.MetadataAsync(controller.BrokerId, Topic);
                foreach (MetadataResponseData.MetadataResponsePartition partition in metadata.Topics[0].Partitions)
                {
                    if (partition.LeaderId == leaving || partition.LeaderId < 0 || partition.IsrNodes.Contains(leaving))
                    {
                        return false;
                    }
                }

                return true;
            },
            "leadership moved off the stopped broker");
    }

    [Fact]
    public async Task Preferred_leader_election_moves_leadership_back_to_the_first_replica()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        int preferred = controller.BrokerId % 3 + 1;
        int other = 6 - controller.BrokerId - preferred;
        CreateTopicsResponseData created = await cluster.SendAsync<CreateTopicsResponseData>(controller.BrokerId, CreateTopicsRequest(Topic, -1, -1, [preferred, other, controller.BrokerId]), 7);
        Assert.Equal((short)ErrorCode.None, created.Topics[0].ErrorCode);
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(cluster.Brokers[preferred].Partitions.Get(Topic, 0) is { IsLeader: true }), "the preferred replica leads");

        // A controlled shutdown and restart of the preferred leader leaves the leadership elsewhere...
        await cluster.StopAsync(preferred);
        await cluster.StartBrokerAsync(preferred);
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(cluster.Brokers[preferred].Partitions.Get(Topic, 0) is { LeaderId: >= 0, IsLeader: false }), "the restarted broker follows");

        // ...until it is back in the ISR (the leader would expand it; here we say so through AlterPartition) and an election is asked for.
        await InProcessCluster.WaitUntilAsync(
            async () =>
            {
                PartitionStateZNode state = await ReadStateAsync(cluster, Topic, 0);
                if (state.Isr.Contains(preferred))
                {
                    return true;
                }

                NodeStat stat = (await cluster.Store.ExistsAsync(ZkPaths.TopicPartitionState(Topic, 0)))!.Value;
                await cluster.SendAsync<AlterPartitionResponseData>(controller.BrokerId, new AlterPartitionRequestData
                {
                    BrokerId = state.Leader,
                    Topics = [new AlterPartitionRequestData.TopicData { TopicName = Topic, Partitions = [new AlterPartitionRequestData.PartitionData { PartitionIndex = 0, LeaderEpoch = state.LeaderEpoch, PartitionEpoch = stat.Version, NewIsr = [.. state.Isr, preferred] }] }],
                }, 1);
                return false;
            },
            "the restarted preferred replica is back in the ISR");

        var request = new ElectLeadersRequestData { ElectionType = 0, TopicPartitions = [new ElectLeadersRequestData.TopicPartitionsData { Topic = Topic, Partitions = [0] }] };
        ElectLeadersResponseData elected = await cluster.SendAsync<ElectLeadersResponseData>(controller.BrokerId, request, 2);
        Assert.Equal((short)ErrorCode.None, elected.ReplicaElectionResults[0].PartitionResult[0].ErrorCode);
        await InProcessCluster.WaitUntilAsync(() => Task.FromResult(cluster.Brokers[preferred].Partitions.Get(Topic, 0) is { IsLeader: true }), "the preferred replica leads again");

        ElectLeadersResponseData again = await cluster.SendAsync<ElectLeadersResponseData>(controller.BrokerId, request, 2);
        Assert.Equal((short)ErrorCode.ElectionNotNeeded, again.ReplicaElectionResults[0].PartitionResult[0].ErrorCode);
    }

    [Fact]
    public async Task Inter_broker_apis_are_advertised()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(1);
        ApiVersionsResponseData versions = await cluster.SendAsync<ApiVersionsResponseData>(1, new ApiVersionsRequestData { ClientSoftwareName = "samsa", ClientSoftwareVersion = "1" }, 3);
        var keys = new HashSet<short>();
        foreach (ApiVersionsResponseData.ApiVersion api in versions.ApiKeys)
        {
            keys.Add(api.ApiKey);
        }

        foreach (ApiKey key in new[] { ApiKey.LeaderAndIsr, ApiKey.StopReplica, ApiKey.UpdateMetadata, ApiKey.ControlledShutdown, ApiKey.AlterPartition, ApiKey.ElectLeaders })
        {
            Assert.Contains((short)key, keys);
        }
    }

    private static async Task CreateTopicAsync(InProcessCluster cluster, string name, int partitions, short replicationFactor)
    {
        KafkaBroker controller = await cluster.ControllerAsync();
        CreateTopicsResponseData response = await cluster.SendAsync<CreateTopicsResponseData>(controller.BrokerId, CreateTopicsRequest(name, partitions, replicationFactor), 7);
        Assert.Equal((short)ErrorCode.None, response.Topics[0].ErrorCode);
    }

    private static CreateTopicsRequestData CreateTopicsRequest(string name, int partitions, short replicationFactor, int[]? assignment = null)
    {
        var topic = new CreateTopicsRequestData.CreatableTopic { Name = name, NumPartitions = partitions, ReplicationFactor = replicationFactor };
        if (assignment is not null)
        {
            topic.Assignments.Add(new CreateTopicsRequestData.CreatableReplicaAssignment { PartitionIndex = 0, BrokerIds = [.. assignment] });
        }

        return new CreateTopicsRequestData { Topics = [topic], TimeoutMs = 10000 };
    }

    private static bool HasFullIsr(MetadataResponseData metadata, int replicas)
    {
        if (metadata.Topics.Count == 0 || metadata.Topics[0].ErrorCode != 0 || metadata.Topics[0].Partitions.Count == 0)
        {
            return false;
        }

        foreach (MetadataResponseData.MetadataResponsePartition partition in metadata.Topics[0].Partitions)
        {
            if (partition.LeaderId < 0 || partition.IsrNodes.Count != replicas)
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<PartitionStateZNode> ReadStateAsync(InProcessCluster cluster, string topic, int partition)
    {
        NodeData? data = await cluster.Store.GetDataAsync(ZkPaths.TopicPartitionState(topic, partition));
        Assert.NotNull(data);
        return PartitionStateZNode.Decode(data.Data.Span);
    }
}
