using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// CreatePartitions, DeleteRecords, DescribeCluster and ListOffsets by time through Confluent.Kafka
/// against a broker process.
/// </summary>
public sealed class AdminApiTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Describe_cluster_lists_this_broker_as_controller()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();

        DescribeClusterResult cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = RequestTimeout, IncludeAuthorizedOperations = true });

        Assert.False(string.IsNullOrEmpty(cluster.ClusterId));
        Node node = Assert.Single(cluster.Nodes);
        Assert.Equal(fixture.Broker.Port, node.Port);
        Assert.Equal(node.Id, cluster.Controller?.Id);
        Assert.Contains(AclOperation.Describe, cluster.AuthorizedOperations);
        Assert.Contains(AclOperation.IdempotentWrite, cluster.AuthorizedOperations);
    }

    [Fact]
    public async Task Create_partitions_grows_a_topic_and_refuses_to_shrink_it()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "grow-me", NumPartitions = 1, ReplicationFactor = 1 }], new CreateTopicsOptions { RequestTimeout = RequestTimeout });

        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "grow-me", IncreaseTo = 3 }], new CreatePartitionsOptions { RequestTimeout = RequestTimeout });
        Metadata metadata = admin.GetMetadata("grow-me", RequestTimeout);
        var shrink = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "grow-me", IncreaseTo = 2 }], new CreatePartitionsOptions { RequestTimeout = RequestTimeout }));
        var dryRun = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "grow-me", IncreaseTo = 3 }], new CreatePartitionsOptions { RequestTimeout = RequestTimeout, ValidateOnly = true }));

        Assert.Equal(3, Assert.Single(metadata.Topics).Partitions.Count);
        CreatePartitionsReport report = Assert.Single(shrink.Results);
        Assert.Equal(ErrorCode.InvalidPartitions, report.Error.Code);
        Assert.Contains("Topic currently has 3 partitions, which is higher than the requested 2.", report.Error.Reason, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidPartitions, Assert.Single(dryRun.Results).Error.Code);
    }

    [Fact]
    public async Task Delete_records_moves_the_low_watermark_and_offsets_for_times_answer_record_timestamps()
    {
        const string topic = "trim-me";
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }], new CreateTopicsOptions { RequestTimeout = RequestTimeout });
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(ClientConfigs.Producer(fixture.BootstrapServers)).Build())
        {
            for (int i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, string> { Value = "m" + i, Timestamp = new Timestamp(1_000_000 + (i * 1000), TimestampType.CreateTime) });
            }
        }

        List<DeleteRecordsResult> deleted = await admin.DeleteRecordsAsync([new TopicPartitionOffset(topic, 0, 4)], new DeleteRecordsOptions { RequestTimeout = RequestTimeout });
        var tooFar = await Assert.ThrowsAsync<DeleteRecordsException>(() =>
            admin.DeleteRecordsAsync([new TopicPartitionOffset(topic, 0, 11)], new DeleteRecordsOptions { RequestTimeout = RequestTimeout }));

        Assert.Equal(4, Assert.Single(deleted).Offset.Value);
        Assert.Equal(ErrorCode.OffsetOutOfRange, Assert.Single(tooFar.Results).Error.Code);
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(ClientConfigs.Consumer(fixture.BootstrapServers)).Build();
        WatermarkOffsets watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, 0), RequestTimeout);
        Assert.Equal(4, watermarks.Low.Value);
        Assert.Equal(10, watermarks.High.Value);

        // 1_005_500 falls between records 5 and 6: the answer is record 6 (offset 6).
        List<TopicPartitionOffset> found = consumer.OffsetsForTimes([new TopicPartitionTimestamp(topic, 0, new Timestamp(1_005_500, TimestampType.CreateTime))], RequestTimeout);
        Assert.Equal(6, Assert.Single(found).Offset.Value);

        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        ConsumeResult<Ignore, string> first = consumer.Consume(RequestTimeout)!;
        Assert.Equal(4, first.Offset.Value);
        Assert.Equal("m4", first.Message.Value);
    }
}
