using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// A topic's compression.type decides the codec of the stored batches: with zstd, the broker
/// recompresses whatever the producer sent, and a consumer reads the records back unchanged.
/// The stored codec is read from the segment file itself.
/// </summary>
public sealed class TopicCompressionTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly DateTime BaseTime = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private const int ZstdCodec = 4;

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Snappy)]
    public async Task A_zstd_topic_stores_zstd_batches_whatever_the_producer_sent(CompressionType sent)
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        const int Count = 2_000;
        string topic = "zstd-from-" + sent.ToString().ToLowerInvariant();
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build())
        {
            await admin.CreateTopicsAsync(
                [new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1, Configs = new() { ["compression.type"] = "zstd" } }],
                new CreateTopicsOptions { RequestTimeout = RequestTimeout });
        }

        ProducerConfig config = ClientConfigs.Producer(fixture.BootstrapServers);
        config.CompressionType = sent;
        using (IProducer<byte[], byte[]> producer = new ProducerBuilder<byte[], byte[]>(config).Build())
        {
            // Ten one-record batches, then the rest in bulk (batches of many records).
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(i, (await producer.ProduceAsync(new TopicPartition(topic, 0), Message(i), timeout.Token)).Offset.Value);
            }

            var pending = new List<Task<DeliveryResult<byte[], byte[]>>>();
            for (int i = 10; i < Count; i++)
            {
                pending.Add(producer.ProduceAsync(new TopicPartition(topic, 0), Message(i), timeout.Token));
            }

            await Task.WhenAll(pending);
        }

        using (IConsumer<byte[], byte[]> consumer = new ConsumerBuilder<byte[], byte[]>(ClientConfigs.Consumer(fixture.BootstrapServers)).Build())
        {
            consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
            for (int i = 0; i < Count;)
            {
                ConsumeResult<byte[], byte[]>? result = consumer.Consume(timeout.Token);
                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                Message<byte[], byte[]> expected = Message(i);
                Assert.Equal(i, result.Offset.Value);
                Assert.Equal(expected.Key, result.Message.Key);
                Assert.Equal(expected.Value, result.Message.Value);
                Assert.Equal(expected.Timestamp.UtcDateTime, result.Message.Timestamp.UtcDateTime);
                Assert.Equal(expected.Headers[0].GetValueBytes(), Assert.Single(result.Message.Headers).GetValueBytes());
                i++;
            }
        }

        List<int> codecs = StoredCodecs(Path.Combine(fixture.Broker.LogDir, topic + "-0", "00000000000000000000.log"));
        Assert.NotEmpty(codecs);
        Assert.All(codecs, codec => Assert.Equal(ZstdCodec, codec));
    }

    private static Message<byte[], byte[]> Message(int i)
    {
        byte[] key = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(key, i);
        return new Message<byte[], byte[]>
        {
            Key = key,
            Value = Encoding.ASCII.GetBytes($"value-{i}-" + new string((char)('a' + (i % 26)), i % 97)),
            Headers = [new Header("index", BitConverter.GetBytes(i))],
            Timestamp = new Timestamp(BaseTime.AddMilliseconds(i)),
        };
    }

    /// <summary>The codec (attribute bits 0-2) of every batch in a segment file, read while the broker runs.</summary>
    private static List<int> StoredCodecs(string segment)
    {
        byte[] bytes;
        using (var file = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }

        var codecs = new List<int>();
        for (int position = 0; position + 61 <= bytes.Length;)
        {
            int batchLength = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(position + 8));
            codecs.Add(BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(position + 21)) & 0x07);
            position += 12 + batchLength;
        }

        return codecs;
    }
}
