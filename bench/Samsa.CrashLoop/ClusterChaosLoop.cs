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
        CrashLoopOptions workloadOptions = options.Workload();
        journal.Info($"cluster chaos: seed {options.Seed}, {options.Rounds} rounds of [{string.Join(", ", options.Faults)}], {options.Producers} producers x {options.MessagesPerSecond} msg/s, {options.Partitions} partitions x 3 replicas, min.insync.replicas=2");

        await using KafkaCluster cluster = await KafkaCluster.StartAsync(BrokerCount, ZooKeeperCount, workloadOptions.BrokerOverrides, cancellationToken).ConfigureAwait(false);
        journal.Info($"ZooKeeper {cluster.ZooKeeper.ConnectString}; brokers {Describe(cluster)}");
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers, ClientId = "chaos-admin" })
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
        await admin.CreateTopicsAsync(
        [
            new TopicSpecification
            {
                Name = workloadOptions.Topic,
                NumPartitions = workloadOptions.Partitions,
                ReplicationFactor = BrokerCount,
                Configs = new Dictionary<string, string>(StringComparer.Ordinal) { ["min.insync.replicas"] = "2" },
            },
        ]).ConfigureAwait(false);
        var health = new ClusterHealth(cluster, BrokerCount);
        if (await health.WaitAsync(options.HealTimeout, cancellationToken).ConfigureAwait(false) is null)
        {
            journal.Problem($"seed {options.Seed}: the new topic did not get every replica in sync within {options.HealTimeout.TotalSeconds} s: {health.LastSeen}");
        }

        var workload = new AuditedWorkload(cluster.BootstrapServers, workloadOptions, journal, random);
        var injector = new FaultInjector(cluster, admin, options, random);
        var faults = new Dictionary<ChaosFault, int>();
        var bag = new List<ChaosFault>();
        TimeSpan longestHeal = TimeSpan.Zero;
        LoopResult figures = await workload.RunRoundsAsync(
            async (round, when) =>
            {
                if (!await workload.AcknowledgesAgainAsync(cancellationToken).ConfigureAwait(false))
                {
                    journal.Problem($"{when}: no message was acknowledged within {options.StepTimeout.TotalSeconds} s");
                    return null;
                }

                TimeSpan delay = BrokerCrashLoop.Between(random, options.MinFaultDelay, options.MaxFaultDelay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                ChaosFault fault = Draw(bag, options.Faults, random);
                long acknowledgedAtFault = workload.Book.Acknowledged();
                string done;
                try
                {
                    done = await injector.InjectAsync(fault, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    // A process that would not start again, or no controller to kill.
                    journal.Problem($"{when}: {fault} failed: {e.Message}");
                    return null;
                }

                faults[fault] = faults.GetValueOrDefault(fault) + 1;
                TimeSpan? heal = await health.WaitAsync(options.HealTimeout, cancellationToken).ConfigureAwait(false);
                if (heal is null)
                {
                    journal.Problem($"{when}: after {done} the cluster did not heal within {options.HealTimeout.TotalSeconds} s: {health.LastSeen}");
                    return null;
                }

                longestHeal = heal.Value > longestHeal ? heal.Value : longestHeal;
                return string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: {done} after {delay.TotalMilliseconds:F0} ms of load ({acknowledgedAtFault} acknowledged); healed in {heal.Value.TotalSeconds:F1} s");
            },
            options.HealTimeout,
            "chaos",
            () => Processes(cluster),
            EvidenceTailLines,
            elapsed,
            cancellationToken).ConfigureAwait(false);

        var result = new ClusterChaosResult(figures)
        {
            Faults = faults,
            LongestHeal = longestHeal,
        };
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
            $"seed {result.Seed}: {(result.Passed ? "PASSED" : "FAILED")} after {result.RoundsCompleted} rounds in {result.Elapsed.TotalSeconds:F0} s; faults: {faults}; longest heal {result.LongestHeal.TotalSeconds:F1} s; {result.Figures()}");
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

    /// <summary>Every broker's output and log dir and every ZooKeeper server's output tail, for a failing run's evidence.</summary>
    private static List<Evidence.ProcessOutput> Processes(KafkaCluster cluster)
    {
        var processes = new List<Evidence.ProcessOutput>();
        foreach (BrokerProcess broker in cluster.Brokers)
        {
            processes.Add(new("broker-" + broker.BrokerId.ToString(CultureInfo.InvariantCulture), broker.Output, broker.LogDir));
        }

        for (int i = 0; i < cluster.ZooKeeper.Count; i++)
        {
            processes.Add(new("zookeeper-" + (i + 1).ToString(CultureInfo.InvariantCulture), cluster.ZooKeeper.Tail(i), null));
        }

        return processes;
    }
}
