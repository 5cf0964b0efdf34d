using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Integration.Tests.Clients;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Reliability;

/// <summary>
/// Disk faults with a real broker process and real clients: a full log dir (a tmpfs of fixed
/// size) fails produce with KAFKA_STORAGE_ERROR while reads go on and appends resume when space
/// returns; a partition whose files cannot be read stays offline at start-up while the others are
/// served; a torn tail left by a crash is cut and everything before it is served.
/// </summary>
public sealed class DiskFaultTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(4);

    [SkippableFact]
    public async Task A_full_disk_fails_produce_with_a_storage_error_keeps_reads_and_recovers_when_space_returns()
    {
        using TmpfsMount? fs = TmpfsMount.TryMount(48 << 20, out string? refusal);
        Skip.If(fs is null, refusal);
        using var timeout = new CancellationTokenSource(TestTimeout);
        string logDir = Path.Combine(fs.Path, "logs");
        await using BrokerProcess broker = await BrokerProcess.StartAsync(1, ["log.dirs=" + logDir, "log.segment.bytes=1048576"], timeout.Token);
        const string topic = "full-disk";
        await CreateTopicAsync(broker, topic, 1);

        ProducerConfig config = ClientConfigs.Producer(broker.BootstrapServers);
        config.MessageSendMaxRetries = 0; // KAFKA_STORAGE_ERROR is retriable: see the broker's answer, not a timeout
        config.LingerMs = 0;
        var acked = new Dictionary<long, string>();
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(config).Build())
        {
            for (int i = 0; i < 150; i++)
            {
                await ProduceAckedAsync(producer, topic, Value(i), acked, timeout.Token);
            }

            fs.Fill();

            // 10 KB each: more than the page slack a full tmpfs still has at the segment's end.
            for (int i = 0; i < 5; i++)
            {
                ProduceException<Null, string> refused = await Assert.ThrowsAsync<ProduceException<Null, string>>(
                    () => producer.ProduceAsync(topic, new Message<Null, string> { Value = Value(1000 + i) }, timeout.Token));
                Assert.Equal(ErrorCode.KafkaStorageError, refused.Error.Code);
            }

            // Reads go on: every acknowledged message, and the offsets.
            Assert.Equal(acked, await ConsumeAllAsync(broker, topic, 0, timeout.Token));
            Assert.True(broker.IsRunning);

            fs.FreeFiller();
            for (int i = 150; i < 200; i++)
            {
                await ProduceAckedAsync(producer, topic, Value(i), acked, timeout.Token);
            }
        }

        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), acked.Keys.Order());
        await broker.RestartAsync(timeout.Token);
        Assert.Equal(acked, await ConsumeAllAsync(broker, topic, 0, timeout.Token));
    }

    [Fact]
    public async Task A_partition_that_cannot_be_read_at_start_up_stays_offline_and_the_others_are_served()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        const string topic = "unreadable";
        await CreateTopicAsync(broker, topic, 2);
        var acked = new Dictionary<long, string>();
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(ClientConfigs.Producer(broker.BootstrapServers)).Build())
        {
            for (int i = 0; i < 20; i++)
            {
                await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, string> { Value = Value(i) }, timeout.Token);
                await ProduceAckedAsync(producer, new TopicPartition(topic, 1), Value(i), acked, timeout.Token);
            }
        }

        Assert.Equal(0, await broker.StopAsync(timeout.Token));
        string segment = Directory.GetFiles(Path.Combine(broker.LogDir, topic + "-0"), "*.log").Single();
        File.Delete(segment);
        Directory.CreateDirectory(segment);
        await broker.RestartAsync(timeout.Token);

        // One clear line naming the partition and the cause.
        bool IsOfflineLine(string l) => l.Contains($"Partition {topic}-0", StringComparison.Ordinal) && l.Contains("is offline", StringComparison.Ordinal);
        await Polling.UntilAsync(() => broker.Output.Split('\n').Any(IsOfflineLine), TestTimeout, "the broker logs the partition offline", timeout.Token);
        string line = broker.Output.Split('\n').Single(IsOfflineLine);
        Assert.Contains("is a directory", line, StringComparison.Ordinal);

        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build())
        {
            DescribeTopicsResult described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic]));
            TopicPartitionInfo offline = described.TopicDescriptions[0].Partitions.Single(p => p.Partition == 0);
            TopicPartitionInfo online = described.TopicDescriptions[0].Partitions.Single(p => p.Partition == 1);
            Assert.Null(offline.Leader);
            Assert.Equal(broker.BrokerId, online.Leader?.Id);
        }

        Assert.Equal(acked, await ConsumeAllAsync(broker, topic, 1, timeout.Token));
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(ClientConfigs.Producer(broker.BootstrapServers)).Build())
        {
            await ProduceAckedAsync(producer, new TopicPartition(topic, 1), Value(20), acked, timeout.Token);
        }

        Assert.Equal(acked, await ConsumeAllAsync(broker, topic, 1, timeout.Token));
        Assert.True(Directory.Exists(segment)); // left as found, for the operator
    }

    [Fact]
    public async Task A_torn_tail_is_cut_at_start_up_and_everything_before_it_is_served()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        const string topic = "torn";
        await CreateTopicAsync(broker, topic, 1);
        var acked = new Dictionary<long, string>();
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(ClientConfigs.Producer(broker.BootstrapServers)).Build())
        {
            for (int i = 0; i < 30; i++)
            {
                await ProduceAckedAsync(producer, topic, Value(i), acked, timeout.Token);
            }
        }

        await broker.KillAsync();
        string segment = Directory.GetFiles(Path.Combine(broker.LogDir, topic + "-0"), "*.log").Single();
        byte[] whole = File.ReadAllBytes(segment);

        // Half of a copy of the first batch: a write the crash cut short.
        int firstBatch = 12 + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(whole.AsSpan(8));
        using (var file = new FileStream(segment, FileMode.Append))
        {
            file.Write(whole, 0, firstBatch / 2);
        }

        await broker.RestartAsync(timeout.Token);
        Assert.Equal(acked, await ConsumeAllAsync(broker, topic, 0, timeout.Token));
        Assert.Equal(whole.Length, new FileInfo(segment).Length);
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(ClientConfigs.Producer(broker.BootstrapServers)).Build())
        {
            await ProduceAckedAsync(producer, topic, Value(30), acked, timeout.Token);
        }

        Assert.Equal(Enumerable.Range(0, 31).Select(i => (long)i), acked.Keys.Order());
        Assert.Equal(acked, await ConsumeAllAsync(broker, topic, 0, timeout.Token));
    }

    /// <summary>10 KB that name their number.</summary>
    private static string Value(int i) => i.ToString("D6", CultureInfo.InvariantCulture) + new string('x', 10_000);

    private static Task ProduceAckedAsync(IProducer<Null, string> producer, string topic, string value, Dictionary<long, string> acked, CancellationToken cancellationToken) =>
        ProduceAckedAsync(producer, new TopicPartition(topic, 0), value, acked, cancellationToken);

    private static async Task ProduceAckedAsync(IProducer<Null, string> producer, TopicPartition partition, string value, Dictionary<long, string> acked, CancellationToken cancellationToken)
    {
        DeliveryResult<Null, string> result = await producer.ProduceAsync(partition, new Message<Null, string> { Value = value }, cancellationToken);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        Assert.True(acked.TryAdd(result.Offset.Value, value), $"offset {result.Offset.Value} acknowledged twice");
    }

    private static async Task CreateTopicAsync(BrokerProcess broker, string topic, int partitions)
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = 1 }]);
    }

    /// <summary>Every message of the partition from offset 0 to its end, by offset (each offset once).</summary>
    private static async Task<Dictionary<long, string>> ConsumeAllAsync(BrokerProcess broker, string topic, int partition, CancellationToken cancellationToken)
    {
        ConsumerConfig config = ClientConfigs.Consumer(broker.BootstrapServers);
        config.CheckCrcs = true;
        using IConsumer<Null, string> consumer = new ConsumerBuilder<Null, string>(config).Build();
        consumer.Assign(new TopicPartitionOffset(topic, partition, Offset.Beginning));
        var read = new Dictionary<long, string>();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ConsumeResult<Null, string>? result = await Task.Run(() => consumer.Consume(TimeSpan.FromSeconds(1)), cancellationToken);
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                return read;
            }

            Assert.True(read.TryAdd(result.Offset.Value, result.Message.Value), $"offset {result.Offset.Value} read twice");
        }
    }
}
