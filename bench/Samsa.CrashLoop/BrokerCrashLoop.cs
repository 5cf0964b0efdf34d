using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.CrashLoop;

/// <summary>
/// The broker crash loop: one real broker process (standalone mode, its own log dir and port),
/// idempotent producers and a committing group consumer running throughout; each round waits for
/// the broker to serve, SIGKILLs it after a seeded-random delay, leaves it dead a random moment,
/// starts it again on the same log dir and port, and audits the committed offsets and the whole
/// log (<see cref="CommitAudit"/>, <see cref="LogAudit"/>). After the last round the producers
/// flush, the consumer must catch up and commit the log end, and a final audit runs. A round that
/// finds a problem is the last; with <see cref="CrashLoopOptions.EvidenceDirectory"/> the broker's
/// log dir and output are kept there.
/// </summary>
public static class BrokerCrashLoop
{
    /// <summary>How much of the broker's output a failing run shows in its journal.</summary>
    private const int EvidenceTailLines = 250;

    public static async Task<CrashLoopResult> RunAsync(CrashLoopOptions options, Action<string> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(write);
        var journal = new RunJournal(write);
        var random = new Random(options.Seed);
        var elapsed = Stopwatch.StartNew();
        journal.Info($"broker crash loop: seed {options.Seed}, {options.Rounds} rounds, {options.Producers} producers x {options.MessagesPerSecond} msg/s, {options.Partitions} partitions");

        await using BrokerProcess broker = await BrokerProcess.StartAsync(options.BrokerOverrides, cancellationToken).ConfigureAwait(false);
        journal.Info($"broker pid {broker.ProcessId} on {broker.BootstrapServers}, log dir {broker.LogDir}");
        await CreateTopicAsync(broker.BootstrapServers, options).ConfigureAwait(false);

        var workload = new AuditedWorkload(broker.BootstrapServers, options, journal, random);
        int kills = 0;
        int startupKills = 0;
        int startupKillsBeforeStarted = 0;
        TimeSpan lastStartup = TimeSpan.FromSeconds(2);
        LoopResult figures = await workload.RunRoundsAsync(
            async (round, when) =>
            {
                if (!await workload.AcknowledgesAgainAsync(cancellationToken).ConfigureAwait(false))
                {
                    journal.Problem($"{when}: no message was acknowledged within {options.StepTimeout.TotalSeconds} s of the restart");
                    return null;
                }

                // One round in four kills right after the broker came back (clients reconnecting, the group reloading).
                TimeSpan delay = random.Next(4) == 0
                    ? Between(random, TimeSpan.Zero, options.EarlyKillWindow)
                    : Between(random, options.MinKillDelay, options.MaxKillDelay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                long acknowledgedAtKill = workload.Book.Acknowledged();
                await broker.KillAsync().ConfigureAwait(false);
                kills++;
                TimeSpan down = Between(random, TimeSpan.Zero, options.MaxDownTime);
                await Task.Delay(down, cancellationToken).ConfigureAwait(false);
                // One round in four also crashes the broker once or twice while it starts (recovery,
                // index rebuild, group loading), at a random point of its last measured start-up.
                int startupKillsThisRound = random.Next(4) == 0 ? random.Next(1, 3) : 0;
                for (int i = 0; i < startupKillsThisRound; i++)
                {
                    TimeSpan after = Between(random, TimeSpan.Zero, lastStartup);
                    bool hadStarted = await broker.RestartAndKillAsync(after, cancellationToken).ConfigureAwait(false);
                    startupKills++;
                    startupKillsBeforeStarted += hadStarted ? 0 : 1;
                    journal.Info(string.Create(CultureInfo.InvariantCulture, $"round {round}: restarted and killed again {after.TotalMilliseconds:F0} ms into start-up ({(hadStarted ? "after" : "before")} it reported started)"));
                }

                var restart = Stopwatch.StartNew();
                await broker.RestartAsync(cancellationToken).ConfigureAwait(false);
                long restartMs = restart.ElapsedMilliseconds;
                lastStartup = restart.Elapsed;

                // New producer ids after restarts too: the id allocator must not hand out one still in use.
                if (random.Next(3) == 0)
                {
                    workload.RotateWriter(random);
                }

                return string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: killed {delay.TotalMilliseconds:F0} ms in ({acknowledgedAtKill} acknowledged), down {down.TotalMilliseconds:F0} ms, restarted in {restartMs} ms");
            },
            options.StepTimeout,
            "crash-loop",
            () => [new Evidence.ProcessOutput("broker-" + broker.BrokerId.ToString(CultureInfo.InvariantCulture), broker.Output, broker.LogDir)],
            EvidenceTailLines,
            elapsed,
            cancellationToken).ConfigureAwait(false);

        var result = new CrashLoopResult(figures)
        {
            Kills = kills,
            StartupKills = startupKills,
            StartupKillsBeforeStarted = startupKillsBeforeStarted,
        };
        journal.Info(Summary(result));
        return result;
    }

    /// <summary>One line of figures, as docs/reliability.md quotes them.</summary>
    public static string Summary(CrashLoopResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Create(CultureInfo.InvariantCulture,
            $"seed {result.Seed}: {(result.Passed ? "PASSED" : "FAILED")} after {result.RoundsCompleted} rounds ({result.Kills} kills under load, {result.StartupKills} during start-up of which {result.StartupKillsBeforeStarted} before it reported started) in {result.Elapsed.TotalSeconds:F0} s; {result.Figures()}");
    }

    private static async Task CreateTopicAsync(string bootstrapServers, CrashLoopOptions options)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers, ClientId = "crash-loop-admin" }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = options.Topic, NumPartitions = options.Partitions, ReplicationFactor = 1 }]).ConfigureAwait(false);
    }

    internal static TimeSpan Between(Random random, TimeSpan min, TimeSpan max) =>
        min + TimeSpan.FromMilliseconds(random.NextDouble() * (max - min).TotalMilliseconds);
}
