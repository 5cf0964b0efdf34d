using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.CrashLoop;

/// <summary>
/// The cluster chaos loop: a real three-server ZooKeeper ensemble and three broker processes
/// (<see cref="KafkaCluster"/>), a topic with replication factor 3 and min.insync.replicas=2, the
/// broker crash loop's idempotent acks=all writers and committing group consumer running
/// throughout. Each round injects one seeded-random <see cref="ChaosFault"/> (a broker or
/// ZooKeeper server killed and restarted, or stopped and continued; the controller killed), waits
/// for the cluster to heal (<see cref="ClusterHealth"/>: every replica in sync again, bounded),
/// then runs the same audits as the crash loop (<see cref="CommitAudit"/>, <see cref="LogAudit"/>,
/// which read from the partition leaders). A round that finds a problem is the last; the
/// processes' output (and with <see cref="ClusterChaosOptions.EvidenceDirectory"/> the brokers'
/// log dirs) is kept.
/// </summary>
public static class ClusterChaosLoop
{
    private const int BrokerCount = 3;
    private const int ZooKeeperCount = 3;
    private const int EvidenceTailLines = 80;

    public static async Task<ClusterChaosResult> RunAsync(ClusterChaosOptions options, Action<string> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(write);
        if (options.Faults.Count == 0)
        {
            throw new ArgumentException("At least one fault kind is needed.", nameof(options));
        }

        var journal = new RunJournal(write);
        var random = new Random(options.Seed);
        var elapsed = Stopwatch.StartNew();
        CrashLoopOptions workload = options.Workload();
        journal.Info($"cluster chaos: seed {options.Seed}, {options.Rounds} rounds of [{string.Join(", ", options.Faults)}], {options.Producers} producers x {options.MessagesPerSecond} msg/s, {options.Partitions} partitions x 3 replicas, min.insync.replicas=2");

        await using KafkaCluster cluster = await KafkaCluster.StartAsync(BrokerCount, ZooKeeperCount, workload.BrokerOverrides, cancellationToken).ConfigureAwait(false);
        journal.Info($"ZooKeeper {cluster.ZooKeeper.ConnectString}; brokers {Describe(cluster)}");
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers, ClientId = "chaos-admin" })
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
        await admin.CreateTopicsAsync(
        [
            new TopicSpecification
            {
                Name = workload.Topic,
                NumPartitions = workload.Partitions,
                ReplicationFactor = BrokerCount,
                Configs = new Dictionary<string, string>(StringComparer.Ordinal) { ["min.insync.replicas"] = "2" },
            },
        ]).ConfigureAwait(false);
        var health = new ClusterHealth(admin, BrokerCount);
        if (await health.WaitAsync(options.HealTimeout, cancellationToken).ConfigureAwait(false) is null)
        {
            journal.Problem($"seed {options.Seed}: the new topic did not get every replica in sync within {options.HealTimeout.TotalSeconds} s: {health.LastSeen}");
        }

        var book = new LedgerBook(workload.Partitions);
        var writers = new IdempotentWriter[workload.Producers];
        for (int i = 0; i < writers.Length; i++)
        {
            writers[i] = new IdempotentWriter(i, cluster.BootstrapServers, workload, book, journal, random.Next());
        }

        var consumer = new CommittingConsumer(cluster.BootstrapServers, workload, journal);
        var logAudit = new LogAudit(cluster.BootstrapServers, workload, journal);
        var commitAudit = new CommitAudit(cluster.BootstrapServers, workload, journal);
        var injector = new FaultInjector(cluster, admin, options, random);
        var totals = new AuditFigures();
        var faults = new Dictionary<ChaosFault, int>();
        var bag = new List<ChaosFault>();
        long commitsChecked = 0;
        TimeSpan longestHeal = TimeSpan.Zero;
        int round = 0;
        foreach (IdempotentWriter writer in writers)
        {
            writer.Start();
        }

        consumer.Start();
        bool stopped = false;
        try
        {
            while (round < options.Rounds && journal.ProblemCount == 0)
            {
                round++;
                string when = $"seed {options.Seed} round {round}";
                long acknowledgedBefore = book.Acknowledged();
                if (!await BrokerCrashLoop.WaitUntilAsync(() => book.Acknowledged() > acknowledgedBefore, options.StepTimeout, cancellationToken).ConfigureAwait(false))
                {
                    journal.Problem($"{when}: no message was acknowledged within {options.StepTimeout.TotalSeconds} s");
                    break;
                }

                TimeSpan delay = BrokerCrashLoop.Between(random, options.MinFaultDelay, options.MaxFaultDelay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                ChaosFault fault = Draw(bag, options.Faults, random);
                long acknowledgedAtFault = book.Acknowledged();
                string done;
                try
                {
                    done = await injector.InjectAsync(fault, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    // A process that would not start again, or no controller to kill.
                    journal.Problem($"{when}: {fault} failed: {e.Message}");
                    break;
                }

                faults[fault] = faults.GetValueOrDefault(fault) + 1;
                TimeSpan? heal = await health.WaitAsync(options.HealTimeout, cancellationToken).ConfigureAwait(false);
                if (heal is null)
                {
                    journal.Problem($"{when}: after {done} the cluster did not heal within {options.HealTimeout.TotalSeconds} s: {health.LastSeen}");
                    break;
                }

                longestHeal = heal.Value > longestHeal ? heal.Value : longestHeal;
                int commits = await Task.Run(() => commitAudit.Run(consumer.Committed(), when), cancellationToken).ConfigureAwait(false);
                commitsChecked += commits;
                AuditFigures figures = await Task.Run(() => logAudit.Run(book.All(), when), cancellationToken).ConfigureAwait(false);
                BrokerCrashLoop.Add(totals, figures);
                journal.Info(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: {done} after {delay.TotalMilliseconds:F0} ms of load ({acknowledgedAtFault} acknowledged); healed in {heal.Value.TotalSeconds:F1} s; audit read {figures.MessagesRead}, checked {figures.AcknowledgedChecked} acknowledgements and {commits} committed offsets; group consumed {consumer.Consumed}, {consumer.Commits} commits ({consumer.Status})"));
                if (consumer.SinceProgress > options.HealTimeout)
                {
                    journal.Problem($"{when}: the group consumer was given no message for {consumer.SinceProgress.TotalSeconds:F0} s while the producers wrote ({consumer.Status})");
                    consumer.DumpDebugLog();
                }
            }

            if (journal.ProblemCount == 0 && round == options.Rounds)
            {
                string when = $"seed {options.Seed} final audit";
                await Task.Run(() => BrokerCrashLoop.StopAll(writers), cancellationToken).ConfigureAwait(false);
                await BrokerCrashLoop.WaitForGroupToCatchUpAsync(cluster.BootstrapServers, workload, consumer, journal, when, cancellationToken).ConfigureAwait(false);
                BrokerCrashLoop.StopConsumer(consumer, workload, journal, when);
                stopped = true;
                commitsChecked += commitAudit.Run(consumer.Committed(), when);
                AuditFigures figures = logAudit.Run(book.All(), when);
                BrokerCrashLoop.Add(totals, figures);
                long pending = book.Pending();
                if (pending > 0)
                {
                    journal.Problem($"{when}: {pending} messages never got a delivery report");
                }

                journal.Info($"final audit: read {figures.MessagesRead}, checked {figures.AcknowledgedChecked} acknowledgements");
            }
        }
        finally
        {
            if (!stopped)
            {
                BrokerCrashLoop.StopAll(writers);
                BrokerCrashLoop.StopConsumer(consumer, workload, journal, $"seed {options.Seed} round {round}");
            }

            if (journal.ProblemCount > 0)
            {
                KeepEvidence(cluster, options, round, journal);
            }
        }

        int instances = 0;
        foreach (IdempotentWriter writer in writers)
        {
            instances += writer.Instances;
        }

        var result = new ClusterChaosResult
        {
            Seed = options.Seed,
            RoundsCompleted = journal.ProblemCount == 0 ? round : round - 1,
            Faults = faults,
            LongestHeal = longestHeal,
            Acknowledged = book.Acknowledged(),
            DeliveryFailed = book.Failed(),
            Lost = totals.Lost,
            Duplicated = totals.Duplicated,
            OutOfOrder = totals.OutOfOrder,
            CorruptOrMisplaced = totals.Corrupt + totals.Misplaced + totals.ConsumeErrors,
            MessagesAudited = totals.MessagesRead,
            AcknowledgementsChecked = totals.AcknowledgedChecked,
            GroupCommits = consumer.Commits,
            CommitsChecked = commitsChecked,
            GroupConsumed = consumer.Consumed,
            ProducerInstances = instances,
            Elapsed = elapsed.Elapsed,
            Problems = journal.Problems(),
        };
        foreach (KeyValuePair<string, long> tally in journal.Tallies())
        {
            journal.Info(string.Create(CultureInfo.InvariantCulture, $"  {tally.Key}: {tally.Value}"));
        }

        journal.Info(Summary(result));
        return result;
    }

    /// <summary>One line of figures, as docs/reliability.md quotes them.</summary>
    public static string Summary(ClusterChaosResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var faults = new StringBuilder();
        foreach (ChaosFault kind in Enum.GetValues<ChaosFault>())
        {
            faults.Append(faults.Length == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"{kind} {result.FaultCount(kind)}");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"seed {result.Seed}: {(result.Passed ? "PASSED" : "FAILED")} after {result.RoundsCompleted} rounds in {result.Elapsed.TotalSeconds:F0} s; faults: {faults}; longest heal {result.LongestHeal.TotalSeconds:F1} s; acknowledged {result.Acknowledged}, delivery failed {result.DeliveryFailed}, lost {result.Lost}, duplicated {result.Duplicated}, out of order {result.OutOfOrder}, corrupt/misplaced {result.CorruptOrMisplaced}; audited {result.MessagesAudited} messages and {result.AcknowledgementsChecked} acknowledgements; group consumed {result.GroupConsumed} with {result.GroupCommits} commits, {result.CommitsChecked} committed offsets checked; {result.ProducerInstances} producer instances; {result.Problems.Count} problems");
    }

    /// <summary>The next fault: from a seeded shuffle of the allowed kinds, refilled when empty.</summary>
    private static ChaosFault Draw(List<ChaosFault> bag, IReadOnlyList<ChaosFault> kinds, Random random)
    {
        if (bag.Count == 0)
        {
            bag.AddRange(kinds);
            for (int i = bag.Count - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (bag[i], bag[j]) = (bag[j], bag[i]);
            }
        }

        ChaosFault next = bag[^1];
        bag.RemoveAt(bag.Count - 1);
        return next;
    }

    private static string Describe(KafkaCluster cluster)
    {
        var builder = new StringBuilder();
        foreach (BrokerProcess broker in cluster.Brokers)
        {
            builder.Append(builder.Length == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"{broker.BrokerId} pid {broker.ProcessId} on {broker.BootstrapServers}");
        }

        return builder.ToString();
    }

    private static void KeepEvidence(KafkaCluster cluster, ClusterChaosOptions options, int round, RunJournal journal)
    {
        foreach (BrokerProcess broker in cluster.Brokers)
        {
            journal.Info($"broker {broker.BrokerId} output (last {EvidenceTailLines} lines):\n{Tail(broker.Output, EvidenceTailLines)}");
        }

        for (int i = 0; i < cluster.ZooKeeper.Count; i++)
        {
            journal.Info(Tail(cluster.ZooKeeper.Tail(i), EvidenceTailLines));
        }

        if (options.EvidenceDirectory is null)
        {
            return;
        }

        string target = Path.Combine(options.EvidenceDirectory, string.Create(CultureInfo.InvariantCulture, $"chaos-seed-{options.Seed}-round-{round}"));
        Directory.CreateDirectory(target);
        foreach (BrokerProcess broker in cluster.Brokers)
        {
            string name = "broker-" + broker.BrokerId.ToString(CultureInfo.InvariantCulture);
            File.WriteAllText(Path.Combine(target, name + "-output.txt"), broker.Output);
            BrokerCrashLoop.CopyDirectory(broker.LogDir, Path.Combine(target, name + "-log-dir"));
        }

        for (int i = 0; i < cluster.ZooKeeper.Count; i++)
        {
            File.WriteAllText(Path.Combine(target, string.Create(CultureInfo.InvariantCulture, $"zookeeper-{i + 1}-tail.txt")), cluster.ZooKeeper.Tail(i));
        }

        journal.Info($"evidence kept in {target}");
    }

    private static string Tail(string text, int lines)
    {
        int at = text.Length;
        for (int i = 0; i <= lines && at > 0; i++)
        {
            at = text.LastIndexOf('\n', at - 1);
            if (at < 0)
            {
                return text;
            }
        }

        return text[(at + 1)..];
    }
}
