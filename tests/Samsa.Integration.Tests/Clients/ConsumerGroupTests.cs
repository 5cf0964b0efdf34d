using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// Classic consumer groups end to end: Confluent.Kafka consumers in a group against a broker
/// process (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, offsets, admin).
/// </summary>
public sealed class ConsumerGroupTests
{
    internal static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);
    internal static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    // Short sessions so a crashed member is noticed quickly; no initial delay so groups form at once.
    private static readonly string[] BrokerOverrides =
    [
        "group.min.session.timeout.ms=1000",
        "group.initial.rebalance.delay.ms=0",
        "offsets.topic.num.partitions=10",
    ];

    private static ConsumerConfig GroupConfig(string bootstrap, string groupId, string clientId) => new()
    {
        BootstrapServers = bootstrap,
        GroupId = groupId,
        ClientId = clientId,
        EnableAutoCommit = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        SessionTimeoutMs = 3000,
        HeartbeatIntervalMs = 300,
        EnablePartitionEof = true,
    };

    [Fact]
    public async Task Two_then_three_consumers_share_six_partitions_without_overlap()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "shared", 6);

        await using var a = new GroupConsumer(GroupConfig(broker.BootstrapServers, "share", "a"), "shared");
        await using var b = new GroupConsumer(GroupConfig(broker.BootstrapServers, "share", "b"), "shared");
        await WaitForBalancedAsync([a, b], 6, timeout.Token);

        await using var c = new GroupConsumer(GroupConfig(broker.BootstrapServers, "share", "c"), "shared");
        await WaitForBalancedAsync([a, b, c], 6, timeout.Token);
        Assert.All(new[] { a, b, c }, m => Assert.Equal(2, m.Assignment.Count));
    }

    [Fact]
    public async Task Cooperative_sticky_consumers_share_the_partitions()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "sticky", 6);
        ConsumerConfig Config(string id)
        {
            ConsumerConfig config = GroupConfig(broker.BootstrapServers, "sticky-group", id);
            config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
            return config;
        }

        await using var a = new GroupConsumer(Config("a"), "sticky");
        await WaitForBalancedAsync([a], 6, timeout.Token);
        await using var b = new GroupConsumer(Config("b"), "sticky");
        await WaitForBalancedAsync([a, b], 6, timeout.Token);
        await using var c = new GroupConsumer(Config("c"), "sticky");
        await WaitForBalancedAsync([a, b, c], 6, timeout.Token);
    }

    [Fact]
    public async Task Leaving_and_crashed_members_trigger_a_rebalance_with_one_owner_per_partition()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "leavers", 6);
        await using var a = new GroupConsumer(GroupConfig(broker.BootstrapServers, "leavers-group", "a"), "leavers");
        await using var b = new GroupConsumer(GroupConfig(broker.BootstrapServers, "leavers-group", "b"), "leavers");
        await using var c = new GroupConsumer(GroupConfig(broker.BootstrapServers, "leavers-group", "c"), "leavers");
        await WaitForBalancedAsync([a, b, c], 6, timeout.Token);

        await c.StopAsync(); // clean close: LeaveGroup
        await WaitForBalancedAsync([a, b], 6, timeout.Token);

        await b.CrashAsync(); // no LeaveGroup: the session (3 s) must expire
        await WaitForBalancedAsync([a], 6, timeout.Token);
    }

    [Fact]
    public Task Committed_offsets_survive_a_consumer_restart_and_a_broker_restart() =>
        CommittedOffsetsSurviveRestartsAsync(BrokerOverrides, GroupConfig);

    /// <summary>
    /// The resume scenario for either group protocol: a consumer commits, the next member of the
    /// group starts there and commits again, and after a broker restart a third starts there too.
    /// </summary>
    internal static async Task CommittedOffsetsSurviveRestartsAsync(string[] brokerOverrides, Func<string, string, string, ConsumerConfig> config)
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(brokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "resume", 1);
        await ProduceAsync(broker, "resume", 10);
        var partition = new TopicPartition("resume", 0);

        using (IConsumer<string, string> first = new ConsumerBuilder<string, string>(config(broker.BootstrapServers, "resume-group", "first")).Build())
        {
            first.Subscribe("resume");
            ConsumeResult<string, string> fifth = ConsumeUntilOffset(first, 4, timeout.Token);
            first.Commit([new TopicPartitionOffset(partition, fifth.Offset + 1)]);
            first.Close();
        }

        using (IConsumer<string, string> second = new ConsumerBuilder<string, string>(config(broker.BootstrapServers, "resume-group", "second")).Build())
        {
            second.Subscribe("resume");
            ConsumeResult<string, string> next = ConsumeFirst(second, timeout.Token);
            Assert.Equal(5, next.Offset.Value);
            second.Commit([new TopicPartitionOffset(partition, 7)]);
            second.Close();
        }

        await broker.RestartAsync(timeout.Token);

        using IConsumer<string, string> third = new ConsumerBuilder<string, string>(config(broker.BootstrapServers, "resume-group", "third")).Build();
        List<TopicPartitionOffset> committed = await RetryAsync(() => third.Committed([partition], RequestTimeout), timeout.Token);
        Assert.Equal(7, Assert.Single(committed).Offset.Value);
        third.Subscribe("resume");
        Assert.Equal(7, ConsumeFirst(third, timeout.Token).Offset.Value);
        third.Close();
    }

    [Fact]
    public async Task Static_member_restart_gets_its_partitions_back_without_a_rebalance()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "statics", 6);
        ConsumerConfig Config(string instance)
        {
            ConsumerConfig config = GroupConfig(broker.BootstrapServers, "static-group", instance);
            config.GroupInstanceId = instance;
            config.SessionTimeoutMs = 20_000;
            return config;
        }

        await using var a = new GroupConsumer(Config("static-a"), "statics");
        var b = new GroupConsumer(Config("static-b"), "statics");
        await WaitForBalancedAsync([a, b], 6, timeout.Token);
        string[] before = Names(b.Assignment);
        int revocationsOfA = a.Revocations;

        await b.StopAsync(); // a static member sends no LeaveGroup on close
        await b.DisposeAsync();
        await using var restarted = new GroupConsumer(Config("static-b"), "statics");
        await WaitForBalancedAsync([a, restarted], 6, timeout.Token);
        Assert.Equal(before, Names(restarted.Assignment));
        Assert.Equal(revocationsOfA, a.Revocations);
    }

    [Fact]
    public async Task Admin_client_lists_describes_reads_offsets_of_and_deletes_groups()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "admin-topic", 2);
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build();

        await using (var member = new GroupConsumer(GroupConfig(broker.BootstrapServers, "admin-group", "admin-member"), "admin-topic"))
        {
            await WaitForBalancedAsync([member], 2, timeout.Token);
            member.With(c =>
            {
                c.Commit([new TopicPartitionOffset("admin-topic", 0, 3), new TopicPartitionOffset("admin-topic", 1, 4)]);
                return 0;
            });

            ListConsumerGroupsResult listed = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = RequestTimeout });
            ConsumerGroupListing listing = Assert.Single(listed.Valid, g => g.GroupId == "admin-group");
            Assert.Equal(ConsumerGroupState.Stable, listing.State);

            DescribeConsumerGroupsResult described = await admin.DescribeConsumerGroupsAsync(["admin-group"], new DescribeConsumerGroupsOptions { RequestTimeout = RequestTimeout });
            ConsumerGroupDescription description = Assert.Single(described.ConsumerGroupDescriptions);
            Assert.Equal(ConsumerGroupState.Stable, description.State);
            MemberDescription memberDescription = Assert.Single(description.Members);
            Assert.Equal("admin-member", memberDescription.ClientId);
            Assert.Equal(2, memberDescription.Assignment.TopicPartitions.Count);

            var nonEmpty = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync(["admin-group"], new DeleteGroupsOptions { RequestTimeout = RequestTimeout }));
            Assert.Equal(ErrorCode.NonEmptyGroup, nonEmpty.Results[0].Error.Code);
        }

        List<ListConsumerGroupOffsetsResult> offsets = await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions("admin-group", null)], new ListConsumerGroupOffsetsOptions { RequestTimeout = RequestTimeout });
        ListConsumerGroupOffsetsResult groupOffsets = Assert.Single(offsets);
        Assert.Equal(3, groupOffsets.Partitions.Single(p => p.Partition == 0).Offset.Value);
        Assert.Equal(4, groupOffsets.Partitions.Single(p => p.Partition == 1).Offset.Value);

        ListConsumerGroupsResult emptyOnly = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = RequestTimeout, MatchStates = [ConsumerGroupState.Empty] });
        Assert.Contains(emptyOnly.Valid, g => g.GroupId == "admin-group");

        await admin.DeleteGroupsAsync(["admin-group"], new DeleteGroupsOptions { RequestTimeout = RequestTimeout });
        ListConsumerGroupsResult after = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = RequestTimeout });
        Assert.DoesNotContain(after.Valid, g => g.GroupId == "admin-group");
        var missing = await Assert.ThrowsAsync<DeleteGroupsException>(() => admin.DeleteGroupsAsync(["admin-group"], new DeleteGroupsOptions { RequestTimeout = RequestTimeout }));
        Assert.Equal(ErrorCode.GroupIdNotFound, missing.Results[0].Error.Code);
    }

    [Fact]
    public async Task A_commit_for_a_partition_that_does_not_exist_is_refused_and_the_group_stays_healthy()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "healthy", 2);
        await using var member = new GroupConsumer(GroupConfig(broker.BootstrapServers, "healthy-group", "m"), "healthy");
        await WaitForBalancedAsync([member], 2, timeout.Token);

        // librdkafka reports the first failed partition's error for the whole commit.
        var failure = Assert.ThrowsAny<KafkaException>(() => member.With(c =>
        {
            c.Commit([new TopicPartitionOffset("healthy", 0, 1), new TopicPartitionOffset("healthy", 9, 1), new TopicPartitionOffset("no-such-topic", 0, 1)]);
            return 0;
        }));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, failure.Error.Code);

        // The group is unharmed: the member keeps its assignment and a valid commit goes through.
        List<TopicPartitionOffset> committed = member.With(c =>
        {
            c.Commit([new TopicPartitionOffset("healthy", 1, 2)]);
            return c.Committed([new TopicPartition("healthy", 0), new TopicPartition("healthy", 1)], RequestTimeout);
        });
        Assert.Equal(1, committed.Single(p => p.Partition == 0).Offset.Value);
        Assert.Equal(2, committed.Single(p => p.Partition == 1).Offset.Value);
        Assert.Equal(2, member.Assignment.Count);
    }

    internal static string[] Names(IReadOnlyList<TopicPartition> partitions) =>
        [.. partitions.Select(p => p.ToString()).Order(StringComparer.Ordinal)];

    /// <summary>Waits until the members' assignments cover every partition exactly once (and each member has some when there are enough).</summary>
    internal static async Task WaitForBalancedAsync(GroupConsumer[] members, int partitions, CancellationToken cancellationToken)
    {
        while (true)
        {
            var owners = new Dictionary<TopicPartition, int>();
            bool everyoneHasSome = true;
            foreach (GroupConsumer member in members)
            {
                IReadOnlyList<TopicPartition> assignment = member.Assignment;
                everyoneHasSome &= assignment.Count > 0 || members.Length > partitions;
                foreach (TopicPartition tp in assignment)
                {
                    owners[tp] = owners.GetValueOrDefault(tp) + 1;
                }
            }

            if (everyoneHasSome && owners.Count == partitions && owners.Values.All(n => n == 1))
            {
                return;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                string state = string.Join("; ", members.Select(m => $"[{string.Join(',', Names(m.Assignment))}] {m.LastError}"));
                Assert.Fail($"The group did not balance: {state}");
            }

            await Task.Delay(50, CancellationToken.None);
        }
    }

    internal static async Task CreateTopicAsync(BrokerProcess broker, string topic, int partitions)
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }], new CreateTopicsOptions { RequestTimeout = RequestTimeout });
    }

    internal static async Task ProduceAsync(BrokerProcess broker, string topic, int count)
    {
        using IProducer<string, string> producer = new ProducerBuilder<string, string>(ClientConfigs.Producer(broker.BootstrapServers)).Build();
        for (int i = 0; i < count; i++)
        {
            await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = "v" + i });
        }
    }

    internal static ConsumeResult<string, string> ConsumeFirst(IConsumer<string, string> consumer, CancellationToken cancellationToken)
    {
        while (true)
        {
            ConsumeResult<string, string>? result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is { IsPartitionEOF: false })
            {
                return result;
            }

            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    internal static ConsumeResult<string, string> ConsumeUntilOffset(IConsumer<string, string> consumer, long offset, CancellationToken cancellationToken)
    {
        while (true)
        {
            ConsumeResult<string, string> result = ConsumeFirst(consumer, cancellationToken);
            if (result.Offset.Value >= offset)
            {
                return result;
            }
        }
    }

    /// <summary>Retries a call that fails while the restarted broker is still loading its groups.</summary>
    internal static async Task<T> RetryAsync<T>(Func<T> call, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return call();
            }
            catch (KafkaException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }
    }
}
