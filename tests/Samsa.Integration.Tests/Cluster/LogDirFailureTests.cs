using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Integration.Tests.Clients;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Cluster;

/// <summary>
/// The seed's cluster (three ZooKeeper servers, three broker processes): the leader of a
/// replication-factor-3 partition hits a real I/O error while it keeps running — its partition
/// directory is swapped for a plain file, so its next segment roll cannot create the new segment
/// (ENOTDIR) and the replica goes offline. That broker tells the controller through
/// /log_dir_event_notification; another ISR member leads within a bounded time, the ISR drops the
/// failed replica, every broker's Metadata lists it in offline_replicas, and an acks=all producer
/// and a consumer carry on with nothing acknowledged lost.
/// </summary>
public sealed class LogDirFailureTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(240);

    /// <summary>How long the cluster may take to move leadership once the replica is offline (no session timeout involved).</summary>
    private static readonly TimeSpan ReactionDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_leader_whose_log_fails_at_run_time_hands_over_to_an_isr_member_and_is_listed_offline()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using KafkaCluster cluster = await KafkaCluster.StartAsync(cancellationToken: timeout.Token);
        await cluster.RunAsync(async () =>
        {
            const string Topic = "failing-disk";
            using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(cluster.BootstrapServers)).Build();
            await admin.CreateTopicsAsync(
            [
                new TopicSpecification
                {
                    Name = Topic,
                    NumPartitions = 1,
                    ReplicationFactor = 3,

                    // Small segments, so the leader rolls (and needs its partition directory) every few messages.
                    Configs = new Dictionary<string, string> { ["segment.bytes"] = "8192", ["min.insync.replicas"] = "2" },
                },
            ]);
            PartitionMetadata before = (await WaitForPartitionAsync(admin, Topic, p => p.Leader > 0 && p.InSyncReplicas.Length == 3, ReactionDeadline * 2, timeout.Token)).Partition;
            int failing = before.Leader;
            int[] others = [.. before.Replicas.Where(r => r != failing)];

            var acked = new Dictionary<long, string>();
            ProducerConfig producerConfig = ClientConfigs.Producer(cluster.BootstrapServers);
            producerConfig.EnableIdempotence = true;
            producerConfig.MessageTimeoutMs = 120_000;
            producerConfig.RetryBackoffMs = 100;
            using IProducer<Null, string> producer = new ProducerBuilder<Null, string>(producerConfig).Build();
            for (int i = 0; i < 20; i++)
            {
                await ProduceAckedAsync(producer, Topic, i, acked, timeout.Token);
            }

            // The disk under the leader's partition fails: its directory is replaced by a file (the old
            // one moved aside, so open files keep working until the log needs the directory again).
            BrokerProcess leader = cluster.Broker(failing);
            string partitionDir = Path.Combine(leader.LogDir, Topic + "-0");
            using var aside = new TempDirectory("moved-partition");
            Directory.Move(partitionDir, aside.Combine(Topic + "-0"));
            await File.WriteAllTextAsync(partitionDir, "not a directory", timeout.Token);

            // Writing on: the next roll fails on the leader, which answers KAFKA_STORAGE_ERROR; the
            // producer retries and lands on the new leader. Every message is acknowledged.
            for (int i = 20; i < 60; i++)
            {
                await ProduceAckedAsync(producer, Topic, i, acked, timeout.Token);
            }

            await Polling.UntilAsync(
                () => Task.FromResult(leader.Output.Split('\n').Any(l => l.Contains($"Partition {Topic}-0", StringComparison.Ordinal) && l.Contains("is offline", StringComparison.Ordinal))),
                ReactionDeadline,
                $"broker {failing} reports the replica offline",
                timeout.Token);

            // Another ISR member leads and the ISR lacks the failed replica: no broker died, no session expired.
            using IAdminClient survivorAdmin = new AdminClientBuilder(ClientConfigs.Admin(string.Join(',', others.Select(id => cluster.Broker(id).BootstrapServers)))).Build();
            PartitionMetadata after = (await WaitForPartitionAsync(
                survivorAdmin,
                Topic,
                p => others.Contains(p.Leader) && p.InSyncReplicas.Length == 2 && !p.InSyncReplicas.Contains(failing),
                ReactionDeadline,
                timeout.Token)).Partition;
            Assert.Equal(3, after.Replicas.Length);

            // Every broker, the failed one included, lists the replica in offline_replicas.
            foreach (BrokerProcess broker in cluster.Brokers)
            {
                await Polling.UntilAsync(
                    async () => await PartitionMetadataProbe.DescribeAsync(broker.Port, Topic, timeout.Token) is [{ } p]
                        && p.OfflineReplicas.Contains(failing) && p.Leader != failing && p.Leader > 0 && !p.Isr.Contains(failing),
                    ReactionDeadline,
                    $"broker {broker.BrokerId} lists broker {failing}'s replica offline",
                    timeout.Token);
            }

            // acks=all with min.insync.replicas=2 still succeeds on the two healthy replicas.
            for (int i = 60; i < 80; i++)
            {
                await ProduceAckedAsync(producer, Topic, i, acked, timeout.Token);
            }

            Assert.Equal(80, acked.Count);
            Assert.Equal(acked, await ConsumeAllAsync(string.Join(',', others.Select(id => cluster.Broker(id).BootstrapServers)), Topic, acked.Keys.Max(), timeout.Token));
        });
    }

    /// <summary>1 KB that names its number.</summary>
    private static string Value(int i) => i.ToString("D6", CultureInfo.InvariantCulture) + new string('x', 1000);

    private static async Task ProduceAckedAsync(IProducer<Null, string> producer, string topic, int i, Dictionary<long, string> acked, CancellationToken cancellationToken)
    {
        DeliveryResult<Null, string> result = await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<Null, string> { Value = Value(i) }, cancellationToken);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        Assert.True(acked.TryAdd(result.Offset.Value, result.Message.Value), $"offset {result.Offset.Value} acknowledged twice");
    }

    private static async Task<(TopicMetadata Topic, PartitionMetadata Partition)> WaitForPartitionAsync(IAdminClient admin, string topic, Func<PartitionMetadata, bool> condition, TimeSpan within, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(within);
        string last = "(none)";
        try
        {
            while (true)
            {
                TopicMetadata? metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.SingleOrDefault(t => t.Topic == topic);
                if (metadata is { Partitions: [{ } partition] } && metadata.Error.Code == ErrorCode.NoError)
                {
                    last = $"leader {partition.Leader} replicas [{string.Join(',', partition.Replicas)}] isr [{string.Join(',', partition.InSyncReplicas)}]";
                    if (condition(partition))
                    {
                        return (metadata, partition);
                    }
                }

                await Task.Delay(250, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Partition {topic}-0 did not reach the expected state within {within.TotalSeconds} s; last seen: {last}");
        }
    }

    /// <summary>Every message of partition 0 up to <paramref name="lastOffset"/>, by offset (each offset once).</summary>
    private static async Task<Dictionary<long, string>> ConsumeAllAsync(string bootstrap, string topic, long lastOffset, CancellationToken cancellationToken)
    {
        ConsumerConfig config = ClientConfigs.Consumer(bootstrap);
        config.CheckCrcs = true;
        using IConsumer<Null, string> consumer = new ConsumerBuilder<Null, string>(config).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var read = new Dictionary<long, string>();
        while (!read.ContainsKey(lastOffset))
        {
            cancellationToken.ThrowIfCancellationRequested();
            ConsumeResult<Null, string>? result = await Task.Run(() => consumer.Consume(TimeSpan.FromSeconds(1)), cancellationToken);
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            Assert.True(read.TryAdd(result.Offset.Value, result.Message.Value), $"offset {result.Offset.Value} read twice");
        }

        return read;
    }
}
