using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// The idempotent producer (enable.idempotence=true, acks=all) with Confluent.Kafka: every message
/// lands exactly once and in order, also when the broker is stopped (SIGTERM) or killed (SIGKILL)
/// in the middle of the run and started again. The client keeps its producer id and sequence
/// numbers across the outage and retries what it had in flight, so the broker must recognise it
/// from the producer state it restored (snapshot, or replay of the log after a crash) and answer
/// retried batches that were already written as duplicates, not write them twice.
/// </summary>
public sealed class IdempotentProducerTests
{
    private const int Partitions = 3;
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(150);

    public enum Outage
    {
        None,
        Stop,
        Kill,
    }

    [Theory]
    [InlineData(Outage.None)]
    [InlineData(Outage.Stop)]
    [InlineData(Outage.Kill)]
    public async Task Messages_are_written_exactly_once_and_in_order(Outage outage)
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        const int Count = 20_000;
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        string topic = "idempotent-" + outage.ToString().ToLowerInvariant();
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = Partitions, ReplicationFactor = 1 }]);
        }

        ProducerConfig config = ClientConfigs.Producer(broker.BootstrapServers);
        config.EnableIdempotence = true;
        config.Acks = Acks.All;
        config.MaxInFlight = 5;
        config.BatchNumMessages = 200;
        config.MessageTimeoutMs = 120_000;
        config.RetryBackoffMs = 50;
        config.RetryBackoffMaxMs = 200;
        config.ReconnectBackoffMs = 50;
        config.ReconnectBackoffMaxMs = 200;

        var errors = new List<string>();
        int reports = 0;
        int acknowledged = 0;
        var allReported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var quarterAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(config)
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal)
                {
                    lock (errors)
                    {
                        errors.Add("fatal: " + e.Reason);
                    }

                    allReported.TrySetResult();
                }
            })
            .Build())
        {
            for (int i = 0; i < Count; i++)
            {
                if (outage != Outage.None && i == Count / 2)
                {
                    // Some acknowledged, more queued and in flight: take the broker down now.
                    await quarterAcknowledged.Task.WaitAsync(timeout.Token);
                    if (outage == Outage.Kill)
                    {
                        await broker.KillAsync();
                    }
                    else
                    {
                        await broker.StopAsync(timeout.Token);
                    }
                }
                else if (outage != Outage.None && i == 3 * Count / 4)
                {
                    await broker.RestartAsync(timeout.Token);
                }

                producer.Produce(new TopicPartition(topic, i % Partitions), new Message<Null, string> { Value = i.ToString(CultureInfo.InvariantCulture) }, report =>
                {
                    if (report.Error.IsError)
                    {
                        lock (errors)
                        {
                            errors.Add(report.Error.ToString());
                        }
                    }
                    else if (Interlocked.Increment(ref acknowledged) >= Count / 4)
                    {
                        quarterAcknowledged.TrySetResult();
                    }

                    if (Interlocked.Increment(ref reports) == Count)
                    {
                        allReported.TrySetResult();
                    }
                });
            }

            await allReported.Task.WaitAsync(timeout.Token);
        }

        Assert.True(errors.Count == 0, "Delivery failed: " + string.Join("; ", errors.Take(5)) + "\n" + broker.Output[^Math.Min(broker.Output.Length, 4000)..]);

        // Each partition holds exactly its messages, once each, in the order they were produced.
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(ClientConfigs.Consumer(broker.BootstrapServers)).Build();
        for (int partition = 0; partition < Partitions; partition++)
        {
            consumer.Assign(new TopicPartitionOffset(topic, partition, Offset.Beginning));
            int expected = partition;
            long expectedOffset = 0;
            while (true)
            {
                ConsumeResult<Ignore, string> result = consumer.Consume(timeout.Token);
                if (result.IsPartitionEOF)
                {
                    break;
                }

                Assert.Equal(expectedOffset++, result.Offset.Value);
                Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), result.Message.Value);
                expected += Partitions;
            }

            Assert.True(expected >= Count, $"Partition {partition} ends at message {expected - Partitions}; {Count} were produced.");
        }
    }
}
