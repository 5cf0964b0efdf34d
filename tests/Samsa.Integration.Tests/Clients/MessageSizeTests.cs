using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// The broker's message.max.bytes bounds a record batch. The producer is allowed far larger
/// messages, so it is the broker that refuses, and the producer keeps working afterwards.
/// </summary>
public sealed class MessageSizeTests
{
    private const int BrokerMaxBytes = 100 * 1024;
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_batch_under_message_max_bytes_is_accepted_and_one_over_is_refused()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(["message.max.bytes=" + BrokerMaxBytes], timeout.Token);
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "sizes", NumPartitions = 1, ReplicationFactor = 1 }]);
        }

        ProducerConfig config = ClientConfigs.Producer(broker.BootstrapServers);
        config.MessageMaxBytes = 4 * BrokerMaxBytes;
        config.LingerMs = 0;
        using IProducer<Null, byte[]> producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var partition = new TopicPartition("sizes", 0);

        // A lone record adds about 75 bytes of batch and record framing to its value.
        DeliveryResult<Null, byte[]> under = await producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[BrokerMaxBytes - 100] }, timeout.Token);
        Assert.Equal(PersistenceStatus.Persisted, under.Status);
        Assert.Equal(0, under.Offset.Value);

        ProduceException<Null, byte[]> over = await Assert.ThrowsAsync<ProduceException<Null, byte[]>>(
            () => producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = new byte[BrokerMaxBytes + 1] }, timeout.Token));
        // librdkafka reports its own refusal with the same code; its limit is four times the broker's, so this one is the broker's.
        Assert.Equal(ErrorCode.MsgSizeTooLarge, over.Error.Code);

        DeliveryResult<Null, byte[]> after = await producer.ProduceAsync(partition, new Message<Null, byte[]> { Value = "still usable"u8.ToArray() }, timeout.Token);
        Assert.Equal(1, after.Offset.Value);

        using IConsumer<Ignore, byte[]> consumer = new ConsumerBuilder<Ignore, byte[]>(ClientConfigs.Consumer(broker.BootstrapServers)).Build();
        WatermarkOffsets watermarks = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
        Assert.Equal(0, watermarks.Low.Value);
        Assert.Equal(2, watermarks.High.Value);
    }
}
