using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// A broker killed with SIGKILL in the middle of an acks=all run and started again on the same log
/// dir and port: the producer retries through the outage, and every acknowledged message is at the
/// offset its acknowledgement named.
/// </summary>
public sealed class BrokerCrashTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Acknowledged_messages_survive_a_kill_and_restart()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        const int Count = 30_000;
        const int Partitions = 3;
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "crash", NumPartitions = Partitions, ReplicationFactor = 1 }]);
        }

        ProducerConfig config = ClientConfigs.Producer(broker.BootstrapServers);
        config.MessageTimeoutMs = 90_000;
        config.RetryBackoffMs = 50;
        config.RetryBackoffMaxMs = 200;
        config.ReconnectBackoffMs = 50;
        config.ReconnectBackoffMaxMs = 200;

        // Index of each message -> (partition, offset) as acknowledged; -1 where delivery failed.
        long[] ackedOffset = new long[Count];
        int[] ackedPartition = new int[Count];
        int reports = 0;
        int acknowledged = 0;
        var allReported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var quarterAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(config).Build())
        {
            for (int i = 0; i < Count; i++)
            {
                int index = i;
                if (i == Count / 2)
                {
                    // Half is queued or in flight and some is acknowledged: crash now, queue more
                    // while the broker is down, then bring it back.
                    await quarterAcknowledged.Task.WaitAsync(timeout.Token);
                    await broker.KillAsync();
                }
                else if (i == 3 * Count / 4)
                {
                    await broker.RestartAsync(timeout.Token);
                }

                producer.Produce(new TopicPartition("crash", i % Partitions), new Message<Null, string> { Value = "m" + i }, report =>
                {
                    if (report.Error.IsError)
                    {
                        ackedOffset[index] = -1;
                    }
                    else
                    {
                        ackedOffset[index] = report.Offset.Value;
                        ackedPartition[index] = report.Partition.Value;
                        if (Interlocked.Increment(ref acknowledged) >= Count / 4)
                        {
                            quarterAcknowledged.TrySetResult();
                        }
                    }

                    if (Interlocked.Increment(ref reports) == Count)
                    {
                        allReported.TrySetResult();
                    }
                });
            }

            producer.Flush(timeout.Token);
            await allReported.Task.WaitAsync(timeout.Token);
        }

        // Read every partition back after the restart.
        var stored = new Dictionary<(int Partition, long Offset), string>();
        using (IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(ClientConfigs.Consumer(broker.BootstrapServers)).Build())
        {
            var ends = new long[Partitions];
            var assignment = new List<TopicPartitionOffset>();
            for (int p = 0; p < Partitions; p++)
            {
                ends[p] = consumer.QueryWatermarkOffsets(new TopicPartition("crash", p), TimeSpan.FromSeconds(10)).High.Value;
                assignment.Add(new TopicPartitionOffset("crash", p, Offset.Beginning));
            }

            consumer.Assign(assignment);
            int finished = 0;
            for (int p = 0; p < Partitions; p++)
            {
                finished += ends[p] == 0 ? 1 : 0;
            }

            while (finished < Partitions)
            {
                ConsumeResult<Ignore, string> result = consumer.Consume(timeout.Token);
                if (result.IsPartitionEOF)
                {
                    continue;
                }

                stored[(result.Partition.Value, result.Offset.Value)] = result.Message.Value;
                if (result.Offset.Value == ends[result.Partition.Value] - 1)
                {
                    finished++;
                }
            }
        }

        int lost = 0;
        string? firstLost = null;
        for (int i = 0; i < Count; i++)
        {
            if (ackedOffset[i] < 0)
            {
                continue;
            }

            if (!stored.TryGetValue((ackedPartition[i], ackedOffset[i]), out string? value) || value != "m" + i)
            {
                lost++;
                firstLost ??= $"m{i} acknowledged at {ackedPartition[i]}@{ackedOffset[i]} but found {value ?? "nothing"}";
            }
        }

        Assert.True(lost == 0, $"{lost} acknowledged messages lost; first: {firstLost}\n{broker.Output}");
        Assert.True(acknowledged == Count, $"only {acknowledged} of {Count} delivered through the restart\n{broker.Output}");
    }
}
