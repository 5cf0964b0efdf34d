using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// Records produced with acks=all come back from the broker process exactly as written: per-partition
/// order, keys, values, headers and timestamps, uncompressed and in each codec.
/// </summary>
public sealed class ProduceConsumeTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly DateTime BaseTime = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public async Task A_hundred_thousand_keyed_messages_with_headers_round_trip_in_order()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        const int Count = 100_000;
        const int Partitions = 3;
        await CreateTopicAsync("round-trip", Partitions);

        using (IProducer<byte[], byte[]> producer = new ProducerBuilder<byte[], byte[]>(ClientConfigs.Producer(fixture.BootstrapServers)).Build())
        {
            await ProduceAsync(producer, "round-trip", Count, Partitions, timeout.Token);
        }

        List<ConsumeResult<byte[], byte[]>>[] consumed = ConsumeAll("round-trip", Partitions, Count, timeout.Token);
        AssertRoundTrip(consumed, Count, Partitions);
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Compressed_batches_round_trip(CompressionType codec)
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        const int Count = 5_000;
        const int Partitions = 3;
        string topic = "codec-" + codec.ToString().ToLowerInvariant();
        await CreateTopicAsync(topic, Partitions);

        ProducerConfig config = ClientConfigs.Producer(fixture.BootstrapServers);
        config.CompressionType = codec;
        using (IProducer<byte[], byte[]> producer = new ProducerBuilder<byte[], byte[]>(config).Build())
        {
            await ProduceAsync(producer, topic, Count, Partitions, timeout.Token);
        }

        List<ConsumeResult<byte[], byte[]>>[] consumed = ConsumeAll(topic, Partitions, Count, timeout.Token);
        AssertRoundTrip(consumed, Count, Partitions);
    }

    private async Task CreateTopicAsync(string name, int partitions)
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = RequestTimeout });
    }

    /// <summary>Message i goes to partition i % partitions with key, value, headers and timestamp derived from i.</summary>
    private static async Task ProduceAsync(IProducer<byte[], byte[]> producer, string topic, int count, int partitions, CancellationToken cancellationToken)
    {
        int delivered = 0;
        Error? failure = null;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int i = 0; i < count; i++)
        {
            var message = new Message<byte[], byte[]>
            {
                Key = Key(i),
                Value = Value(i),
                Headers = [new Header("index", BitConverter.GetBytes(i)), new Header("origin", "samsa-it"u8.ToArray())],
                Timestamp = new Timestamp(BaseTime.AddMilliseconds(i)),
            };
            ProduceOne(producer, new TopicPartition(topic, i % partitions), message, report =>
            {
                if (report.Error.IsError)
                {
                    failure ??= report.Error;
                }

                if (Interlocked.Increment(ref delivered) == count)
                {
                    done.TrySetResult();
                }
            });
        }

        producer.Flush(cancellationToken);
        await done.Task.WaitAsync(cancellationToken);
        Assert.Null(failure);
    }

    private static void ProduceOne(IProducer<byte[], byte[]> producer, TopicPartition partition, Message<byte[], byte[]> message, Action<DeliveryReport<byte[], byte[]>> onDelivery)
    {
        while (true)
        {
            try
            {
                producer.Produce(partition, message, onDelivery);
                return;
            }
            catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue is bounded; let deliveries drain it.
                producer.Poll(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    private List<ConsumeResult<byte[], byte[]>>[] ConsumeAll(string topic, int partitions, int count, CancellationToken cancellationToken)
    {
        var byPartition = new List<ConsumeResult<byte[], byte[]>>[partitions];
        var assignment = new List<TopicPartitionOffset>(partitions);
        for (int p = 0; p < partitions; p++)
        {
            byPartition[p] = [];
            assignment.Add(new TopicPartitionOffset(topic, p, Offset.Beginning));
        }

        using IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(ClientConfigs.Consumer(fixture.BootstrapServers)).Build();
        consumer.Assign(assignment);
        int total = 0;
        while (total < count)
        {
            ConsumeResult<byte[], byte[]>? result = consumer.Consume(cancellationToken);
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            byPartition[result.Partition.Value].Add(result);
            total++;
        }

        return byPartition;
    }

    private static void AssertRoundTrip(List<ConsumeResult<byte[], byte[]>>[] byPartition, int count, int partitions)
    {
        for (int p = 0; p < partitions; p++)
        {
            List<ConsumeResult<byte[], byte[]>> records = byPartition[p];
            Assert.Equal((count - p + partitions - 1) / partitions, records.Count);
            for (int n = 0; n < records.Count; n++)
            {
                ConsumeResult<byte[], byte[]> record = records[n];
                int i = (n * partitions) + p;
                Assert.Equal(n, record.Offset.Value);
                Assert.Equal(Key(i), record.Message.Key);
                Assert.Equal(Value(i), record.Message.Value);
                Assert.Equal(TimestampType.CreateTime, record.Message.Timestamp.Type);
                Assert.Equal(BaseTime.AddMilliseconds(i), record.Message.Timestamp.UtcDateTime);
                Assert.Equal(2, record.Message.Headers.Count);
                Assert.Equal("index", record.Message.Headers[0].Key);
                Assert.Equal(i, BitConverter.ToInt32(record.Message.Headers[0].GetValueBytes()));
                Assert.Equal("origin", record.Message.Headers[1].Key);
                Assert.Equal("samsa-it"u8.ToArray(), record.Message.Headers[1].GetValueBytes());
            }
        }
    }

    private static byte[] Key(int i)
    {
        byte[] key = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(key, i);
        return key;
    }

    // Varying lengths and repetitive content, so compression has something to do.
    private static byte[] Value(int i) => Encoding.ASCII.GetBytes($"value-{i}-" + new string((char)('a' + (i % 26)), i % 97));
}
