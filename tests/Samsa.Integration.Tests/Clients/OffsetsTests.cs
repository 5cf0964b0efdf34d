using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>Watermarks, offsets for times and seek, as a Confluent.Kafka consumer sees them.</summary>
public sealed class OffsetsTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const int Count = 10;
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly DateTime BaseTime = new(2026, 3, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task Watermarks_follow_the_log()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        TopicPartition partition = await CreateTopicWithMessagesAsync("offsets-watermarks", timeout.Token);
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(ClientConfigs.Consumer(fixture.BootstrapServers)).Build();

        WatermarkOffsets watermarks = consumer.QueryWatermarkOffsets(partition, RequestTimeout);
        Assert.Equal(0, watermarks.Low.Value);
        Assert.Equal(Count, watermarks.High.Value);

        WatermarkOffsets empty = consumer.QueryWatermarkOffsets(new TopicPartition(partition.Topic, 1), RequestTimeout);
        Assert.Equal(0, empty.Low.Value);
        Assert.Equal(0, empty.High.Value);
    }

    [Fact]
    public async Task Offsets_for_times_find_the_first_message_at_or_after_the_time()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        TopicPartition partition = await CreateTopicWithMessagesAsync("offsets-times", timeout.Token);
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(ClientConfigs.Consumer(fixture.BootstrapServers)).Build();

        List<TopicPartitionOffset> found = consumer.OffsetsForTimes(
            [
                new TopicPartitionTimestamp(partition, new Timestamp(BaseTime)),
                new TopicPartitionTimestamp(new TopicPartition(partition.Topic, 1), new Timestamp(BaseTime)),
            ],
            RequestTimeout);
        Assert.Equal(0, found.Single(f => f.Partition == 0).Offset.Value);
        Assert.Equal(Offset.End, found.Single(f => f.Partition == 1).Offset); // empty partition: nothing at or after

        Assert.Equal(4, OffsetFor(consumer, partition, BaseTime.AddSeconds(3.5)).Value);
        Assert.Equal(7, OffsetFor(consumer, partition, BaseTime.AddSeconds(7)).Value);
        Assert.Equal(0, OffsetFor(consumer, partition, BaseTime.AddDays(-1)).Value);
        Assert.Equal(Offset.End, OffsetFor(consumer, partition, BaseTime.AddDays(1)));
    }

    [Fact]
    public async Task Seek_moves_the_fetch_position()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        TopicPartition partition = await CreateTopicWithMessagesAsync("offsets-seek", timeout.Token);
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(ClientConfigs.Consumer(fixture.BootstrapServers)).Build();
        consumer.Assign(new TopicPartitionOffset(partition, Offset.Beginning));

        Assert.Equal(0, NextMessage(consumer, timeout.Token).Offset.Value);
        Assert.Equal(1, NextMessage(consumer, timeout.Token).Offset.Value);

        consumer.Seek(new TopicPartitionOffset(partition, 7));
        ConsumeResult<Ignore, string> afterSeek = NextMessage(consumer, timeout.Token);
        Assert.Equal(7, afterSeek.Offset.Value);
        Assert.Equal("m7", afterSeek.Message.Value);
        Assert.Equal(BaseTime.AddSeconds(7), afterSeek.Message.Timestamp.UtcDateTime);

        consumer.Seek(new TopicPartitionOffset(partition, 2));
        Assert.Equal("m2", NextMessage(consumer, timeout.Token).Message.Value);

        // Seeking to the end waits for new messages.
        consumer.Seek(new TopicPartitionOffset(partition, Offset.End));
        ConsumeResult<Ignore, string> eof = consumer.Consume(timeout.Token);
        while (!eof.IsPartitionEOF)
        {
            eof = consumer.Consume(timeout.Token);
        }

        Assert.Equal(Count, eof.Offset.Value);
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(ClientConfigs.Producer(fixture.BootstrapServers)).Build())
        {
            await producer.ProduceAsync(partition, new Message<Null, string> { Value = "late" }, timeout.Token);
        }

        ConsumeResult<Ignore, string> late = NextMessage(consumer, timeout.Token);
        Assert.Equal(Count, late.Offset.Value);
        Assert.Equal("late", late.Message.Value);
    }

    private static Offset OffsetFor(IConsumer<Ignore, string> consumer, TopicPartition partition, DateTime time) =>
        Assert.Single(consumer.OffsetsForTimes([new TopicPartitionTimestamp(partition, new Timestamp(time))], RequestTimeout)).Offset;

    private static ConsumeResult<Ignore, string> NextMessage(IConsumer<Ignore, string> consumer, CancellationToken cancellationToken)
    {
        while (true)
        {
            ConsumeResult<Ignore, string> result = consumer.Consume(cancellationToken);
            if (!result.IsPartitionEOF)
            {
                return result;
            }
        }
    }

    /// <summary>A two-partition topic with messages m0..m9 in partition 0, one second apart from <see cref="BaseTime"/>.</summary>
    private async Task<TopicPartition> CreateTopicWithMessagesAsync(string topic, CancellationToken cancellationToken)
    {
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 2, ReplicationFactor = 1 }]);
        }

        var partition = new TopicPartition(topic, 0);
        using IProducer<Null, string> producer = new ProducerBuilder<Null, string>(ClientConfigs.Producer(fixture.BootstrapServers)).Build();
        for (int i = 0; i < Count; i++)
        {
            // One batch per message, so time lookups have several batches to choose from.
            await producer.ProduceAsync(partition, new Message<Null, string> { Value = "m" + i, Timestamp = new Timestamp(BaseTime.AddSeconds(i)) }, cancellationToken);
        }

        return partition;
    }
}
