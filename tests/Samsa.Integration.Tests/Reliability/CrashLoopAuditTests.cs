using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.CrashLoop;
using Samsa.Testing;
using Xunit.Abstractions;

namespace Samsa.Integration.Tests.Reliability;

/// <summary>
/// The crash loop's audits can fail: against a log written to be wrong (a message stored twice, an
/// acknowledgement with nothing behind it, with or without an offset, a value that is not one of
/// ours) and committed offsets
/// that went backwards or past the log end, they report exactly those problems. Without this a
/// passing crash loop would prove nothing.
/// </summary>
public sealed class CrashLoopAuditTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_audits_report_duplicates_losses_corruption_and_bad_commits()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        var options = new CrashLoopOptions { Partitions = 2, Topic = "audited", Group = "audited-group", StepTimeout = TimeSpan.FromSeconds(30) };
        using (IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = options.Topic, NumPartitions = options.Partitions, ReplicationFactor = 1 }]);
        }

        // Partition 0 holds seq 0, seq 1, seq 1 again, seq 3, then a foreign value (offsets 0-4);
        // partition 1 is empty. A plain (non-idempotent) producer writes exactly what it is given.
        string[] stored =
        [
            new MessageValue(0, 0, 0).Format(),
            new MessageValue(0, 0, 1).Format(),
            new MessageValue(0, 0, 1).Format(),
            new MessageValue(0, 0, 3).Format(),
            "not one of ours",
        ];
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = broker.BootstrapServers, EnableIdempotence = false, Acks = Acks.All }).Build())
        {
            foreach (string value in stored)
            {
                await producer.ProduceAsync(new TopicPartition(options.Topic, 0), new Message<Null, string> { Value = value }, timeout.Token);
            }
        }

        // The ledger claims seq 0-2 acknowledged at offsets 0, 1 and 5, and seq 3 and 4 acknowledged
        // without an offset (librdkafka's implicit acknowledgement): seq 2 and seq 4 have nothing
        // behind them, seq 3 is stored (where does not matter).
        var book = new LedgerBook(options.Partitions);
        DeliveryLedger ledger = book.Open();
        long[] acknowledgedAt = [0, 1, 5, DeliveryLedger.PersistedWithoutOffset, DeliveryLedger.PersistedWithoutOffset];
        for (int sequence = 0; sequence < acknowledgedAt.Length; sequence++)
        {
            Assert.Equal(sequence, ledger.Reserve(0));
            ledger.Settle(0, sequence, acknowledgedAt[sequence]);
        }

        var journal = new RunJournal(output.WriteLine);
        AuditFigures figures = new LogAudit(broker.BootstrapServers, options, journal).Run(book.All(), "doctored log");

        Assert.Equal(stored.Length, figures.MessagesRead);
        Assert.Equal(5, figures.AcknowledgedChecked);
        Assert.Equal(1, figures.Duplicated);
        Assert.Equal(2, figures.Lost);
        Assert.Equal(1, figures.Corrupt);
        Assert.Equal(0, figures.OutOfOrder);
        Assert.Equal(4, journal.ProblemCount);
        Assert.Contains(journal.Problems(), p => p.Contains("seq 4 acknowledged without an offset is not in the log", StringComparison.Ordinal));
        Assert.Equal(2, book.PersistedWithoutOffset());

        // The group committed 2 on partition 0 and 100 on partition 1 (past its end, 0), while the
        // harness recorded a successful commit of 4 on partition 0.
        var consumerConfig = new ConsumerConfig { BootstrapServers = broker.BootstrapServers, GroupId = options.Group, EnableAutoCommit = false };
        using (IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(consumerConfig).Build())
        {
            consumer.Commit([new TopicPartitionOffset(options.Topic, 0, 2), new TopicPartitionOffset(options.Topic, 1, 100)]);
        }

        var commitJournal = new RunJournal(output.WriteLine);
        int compared = new CommitAudit(broker.BootstrapServers, options, commitJournal).Run([4, -1], "doctored commits");

        Assert.Equal(1, compared);
        IReadOnlyList<string> problems = commitJournal.Problems();
        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.Contains("partition 0 went backwards", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("partition 1 is 100, past the log end 0", StringComparison.Ordinal));
    }
}
