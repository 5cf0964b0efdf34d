using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;
using static Samsa.Integration.Tests.Clients.ConsumerGroupTests;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// KIP-848 consumer groups end to end: Confluent.Kafka consumers with group.protocol=consumer
/// against a broker process (ConsumerGroupHeartbeat, server-side assignors, offsets, admin).
/// </summary>
public sealed class ConsumerProtocolGroupTests
{
    // Fast heartbeats so reconciliation steps are quick; a short session so a crash is noticed in seconds.
    private static readonly string[] BrokerOverrides =
    [
        "group.consumer.heartbeat.interval.ms=300",
        "group.consumer.session.timeout.ms=3000",
        "offsets.topic.num.partitions=10",
    ];

    private static ConsumerConfig Config(string bootstrap, string groupId, string clientId, string? assignor = null) => new()
    {
        BootstrapServers = bootstrap,
        GroupId = groupId,
        ClientId = clientId,
        GroupProtocol = GroupProtocol.Consumer,
        GroupRemoteAssignor = assignor,
        EnableAutoCommit = false,
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnablePartitionEof = true,
    };

    [Fact]
    public async Task Two_then_three_consumers_share_six_partitions_without_overlap()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "shared", 6);

        await using var a = new GroupConsumer(Config(broker.BootstrapServers, "share", "a"), "shared");
        await using var b = new GroupConsumer(Config(broker.BootstrapServers, "share", "b"), "shared");
        await WaitForBalancedAsync([a, b], 6, timeout.Token);

        await using var c = new GroupConsumer(Config(broker.BootstrapServers, "share", "c"), "shared");
        await WaitForBalancedAsync([a, b, c], 6, timeout.Token);
        await Polling.UntilAsync(() => a.Assignment.Count == 2 && b.Assignment.Count == 2 && c.Assignment.Count == 2, TestTimeout, "each of the three members holds two partitions", timeout.Token);
    }

    [Fact]
    public async Task Leaving_and_crashed_members_leave_one_owner_per_partition()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "leavers", 6);
        await using var a = new GroupConsumer(Config(broker.BootstrapServers, "leavers-group", "a"), "leavers");
        await using var b = new GroupConsumer(Config(broker.BootstrapServers, "leavers-group", "b"), "leavers");
        await using var c = new GroupConsumer(Config(broker.BootstrapServers, "leavers-group", "c"), "leavers");
        await WaitForBalancedAsync([a, b, c], 6, timeout.Token);

        await c.StopAsync(); // clean close: heartbeat with epoch -1
        await WaitForBalancedAsync([a, b], 6, timeout.Token);

        await b.CrashAsync(); // no leave: the 3 s session must expire
        await WaitForBalancedAsync([a], 6, timeout.Token);
    }

    [Fact]
    public async Task The_range_assignor_named_by_the_client_gives_contiguous_ranges()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(BrokerOverrides, timeout.Token);
        await CreateTopicAsync(broker, "ranged", 4);
        await using var a = new GroupConsumer(Config(broker.BootstrapServers, "range-group", "a", "range"), "ranged");
        await using var b = new GroupConsumer(Config(broker.BootstrapServers, "range-group", "b", "range"), "ranged");
        await WaitForBalancedAsync([a, b], 4, timeout.Token);
        await Polling.UntilAsync(() => a.Assignment.Count == 2 && b.Assignment.Count == 2, TestTimeout, "each member holds two partitions", timeout.Token);

        // Each member holds two neighbouring partitions: {0,1} and {2,3}.
        foreach (GroupConsumer member in new[] { a, b })
        {
            int[] partitions = [.. member.Assignment.Select(p => p.Partition.Value).Order()];
            Assert.Equal(partitions[0] + 1, partitions[1]);
            Assert.Equal(0, partitions[0] % 2);
        }

        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build();
        DescribeConsumerGroupsResult described = await admin.DescribeConsumerGroupsAsync(["range-group"], new DescribeConsumerGroupsOptions { RequestTimeout = RequestTimeout });
        ConsumerGroupDescription description = Assert.Single(described.ConsumerGroupDescriptions);
        Assert.Equal(ConsumerGroupType.Consumer, description.GroupType);
        Assert.Equal("range", description.PartitionAssignor);
        Assert.Equal(2, description.Members.Count);
        Assert.All(description.Members, m => Assert.Equal(2, m.Assignment.TopicPartitions.Count));

        ListConsumerGroupsResult listed = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = RequestTimeout });
        Assert.Equal(ConsumerGroupType.Consumer, Assert.Single(listed.Valid, g => g.GroupId == "range-group").Type);
    }

    [Fact]
    public async Task A_static_member_that_restarts_gets_its_partitions_back_without_a_rebalance()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        // A longer session than the other tests: the restart must happen within it.
        await using BrokerProcess broker = await BrokerProcess.StartAsync([.. BrokerOverrides, "group.consumer.session.timeout.ms=20000"], timeout.Token);
        await CreateTopicAsync(broker, "statics", 6);
        ConsumerConfig StaticConfig(string instance)
        {
            ConsumerConfig config = Config(broker.BootstrapServers, "static-group", instance);
            config.GroupInstanceId = instance;
            return config;
        }

        await using var a = new GroupConsumer(StaticConfig("static-a"), "statics");
        var b = new GroupConsumer(StaticConfig("static-b"), "statics");
        await WaitForBalancedAsync([a, b], 6, timeout.Token);
        await Polling.UntilAsync(() => a.Assignment.Count == 3 && b.Assignment.Count == 3, TestTimeout, "each member holds three partitions", timeout.Token);
        string[] before = Names(b.Assignment);
        int revocationsOfA = a.Revocations;

        await b.StopAsync(); // a static member's close is a temporary leave (epoch -2)
        await b.DisposeAsync();
        await using var restarted = new GroupConsumer(StaticConfig("static-b"), "statics");
        await WaitForBalancedAsync([a, restarted], 6, timeout.Token);
        Assert.Equal(before, Names(restarted.Assignment));
        Assert.Equal(revocationsOfA, a.Revocations);
    }

    [Fact]
    public Task Committed_offsets_survive_a_consumer_restart_and_a_broker_restart() =>
        CommittedOffsetsSurviveRestartsAsync(BrokerOverrides, (bootstrap, group, client) => Config(bootstrap, group, client));
}
