using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>Topic administration through Confluent.Kafka's AdminClient against a broker process.</summary>
public sealed class TopicAdminTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Created_topics_are_described_listed_and_deleted()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();

        await admin.CreateTopicsAsync(
            [
                new TopicSpecification { Name = "admin-a", NumPartitions = 3, ReplicationFactor = 1 },
                new TopicSpecification { Name = "admin-b", NumPartitions = 1, ReplicationFactor = 1 },
            ],
            new CreateTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });

        DescribeTopicsResult described = await admin.DescribeTopicsAsync(
            TopicCollection.OfTopicNames(["admin-a", "admin-b"]),
            new DescribeTopicsOptions { RequestTimeout = RequestTimeout });
        TopicDescription a = Assert.Single(described.TopicDescriptions, t => t.Name == "admin-a");
        Assert.Equal(ErrorCode.NoError, a.Error.Code);
        Assert.Equal(3, a.Partitions.Count);
        Assert.Equal([0, 1, 2], a.Partitions.Select(p => p.Partition).Order());
        foreach (TopicPartitionInfo partition in a.Partitions)
        {
            Assert.Equal(0, partition.Leader.Id);
            Assert.Equal(0, Assert.Single(partition.Replicas).Id);
            Assert.Equal(0, Assert.Single(partition.ISR).Id);
        }

        Assert.Single(Assert.Single(described.TopicDescriptions, t => t.Name == "admin-b").Partitions);

        Metadata listed = admin.GetMetadata(RequestTimeout);
        Assert.Contains(listed.Topics, t => t.Topic == "admin-a" && t.Partitions.Count == 3 && t.Error.Code == ErrorCode.NoError);
        Assert.Contains(listed.Topics, t => t.Topic == "admin-b" && t.Partitions.Count == 1);
        Assert.Equal(0, Assert.Single(listed.Brokers).BrokerId);

        await admin.DeleteTopicsAsync(["admin-a"], new DeleteTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });

        // Deletion finishes asynchronously on the controller; wait for the metadata to drop the topic.
        await Polling.UntilAsync(() => !admin.GetMetadata(RequestTimeout).Topics.Exists(t => t.Topic == "admin-a"), TestTimeout, "the metadata drops the deleted topic", timeout.Token);

        Assert.Contains(admin.GetMetadata(RequestTimeout).Topics, t => t.Topic == "admin-b");
        DeleteTopicsException missing = await Assert.ThrowsAsync<DeleteTopicsException>(
            () => admin.DeleteTopicsAsync(["admin-a"], new DeleteTopicsOptions { RequestTimeout = RequestTimeout }));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(missing.Results).Error.Code);
    }

    [Fact]
    public async Task Creating_an_existing_topic_fails_with_topic_already_exists()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        var spec = new TopicSpecification { Name = "admin-duplicate", NumPartitions = 2, ReplicationFactor = 1 };
        await admin.CreateTopicsAsync([spec], new CreateTopicsOptions { RequestTimeout = RequestTimeout });

        CreateTopicsException e = await Assert.ThrowsAsync<CreateTopicsException>(
            () => admin.CreateTopicsAsync([spec], new CreateTopicsOptions { RequestTimeout = RequestTimeout }));
        CreateTopicReport report = Assert.Single(e.Results);
        Assert.Equal("admin-duplicate", report.Topic);
        Assert.Equal(ErrorCode.TopicAlreadyExists, report.Error.Code);
    }

    [Theory]
    [InlineData("bad name")]
    [InlineData("..")]
    [InlineData("slash/name")]
    public async Task Invalid_topic_names_are_refused(string name)
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();

        CreateTopicsException e = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
            [new TopicSpecification { Name = name, NumPartitions = 1, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = RequestTimeout }));
        Assert.Equal(ErrorCode.TopicException, Assert.Single(e.Results).Error.Code);
    }

    [Fact]
    public async Task A_replication_factor_above_the_live_brokers_is_refused()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();

        CreateTopicsException e = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
            [new TopicSpecification { Name = "admin-rf3", NumPartitions = 1, ReplicationFactor = 3 }],
            new CreateTopicsOptions { RequestTimeout = RequestTimeout }));
        CreateTopicReport report = Assert.Single(e.Results);
        Assert.Equal(ErrorCode.InvalidReplicationFactor, report.Error.Code);
        Assert.Equal("Replication factor: 3 larger than available brokers: 1.", report.Error.Reason);
        Assert.DoesNotContain(admin.GetMetadata(RequestTimeout).Topics, t => t.Topic == "admin-rf3");
    }
}
