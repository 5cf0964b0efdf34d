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
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

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

        var book = new LedgerBook(options.Partitions);
        var writers = new IdempotentWriter[options.Producers];
        for (int i = 0; i < writers.Length; i++)
        {
            writers[i] = new IdempotentWriter(i, broker.BootstrapServers, options, book, journal, random.Next());
        }

        var consumer = new CommittingConsumer(broker.BootstrapServers, options, journal);
        var logAudit = new LogAudit(broker.BootstrapServers, options, journal);
        var commitAudit = new CommitAudit(broker.BootstrapServers, options, journal);
        var totals = new AuditFigures();
        long commitsChecked = 0;
        int kills = 0;
        int startupKills = 0;
        int startupKillsBeforeStarted = 0;
        TimeSpan lastStartup = TimeSpan.FromSeconds(2);
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
                if (!await WaitUntilAsync(() => book.Acknowledged() > acknowledgedBefore, options.StepTimeout, cancellationToken).ConfigureAwait(false))
                {
                    journal.Problem($"{when}: no message was acknowledged within {options.StepTimeout.TotalSeconds} s of the restart");
                    break;
                }

                // One round in four kills right after the broker came back (clients reconnecting, the group reloading).
                TimeSpan delay = random.Next(4) == 0
                    ? Between(random, TimeSpan.Zero, options.EarlyKillWindow)
                    : Between(random, options.MinKillDelay, options.MaxKillDelay);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                long acknowledgedAtKill = book.Acknowledged();
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
                    writers[random.Next(writers.Length)].Rotate();
                }

                int commits = await Task.Run(() => commitAudit.Run(consumer.Committed(), when), cancellationToken).ConfigureAwait(false);
                commitsChecked += commits;
                AuditFigures figures = await Task.Run(() => logAudit.Run(book.All(), when), cancellationToken).ConfigureAwait(false);
                Add(totals, figures);
                journal.Info(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}: killed {delay.TotalMilliseconds:F0} ms in ({acknowledgedAtKill} acknowledged), down {down.TotalMilliseconds:F0} ms, restarted in {restartMs} ms; audit read {figures.MessagesRead}, checked {figures.AcknowledgedChecked} acknowledgements and {commits} committed offsets; group consumed {consumer.Consumed}, {consumer.Commits} commits ({consumer.Status})"));
                if (consumer.SinceProgress > options.StepTimeout)
                {
                    journal.Problem($"{when}: the group consumer was given no message for {consumer.SinceProgress.TotalSeconds:F0} s while the producers wrote ({consumer.Status})");
                    consumer.DumpDebugLog();
                }
            }

            if (journal.ProblemCount == 0 && round == options.Rounds)
            {
                string when = $"seed {options.Seed} final audit";
                await Task.Run(() => StopAll(writers), cancellationToken).ConfigureAwait(false);
                await WaitForGroupToCatchUpAsync(broker.BootstrapServers, options, consumer, journal, when, cancellationToken).ConfigureAwait(false);
                StopConsumer(consumer, options, journal, when);
                stopped = true;
                commitsChecked += commitAudit.Run(consumer.Committed(), when);
                AuditFigures figures = logAudit.Run(book.All(), when);
                Add(totals, figures);
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
                StopAll(writers);
                StopConsumer(consumer, options, journal, $"seed {options.Seed} round {round}");
            }

            if (journal.ProblemCount > 0)
            {
                KeepEvidence(broker, options, round, journal);
            }
        }

        int instances = 0;
        foreach (IdempotentWriter writer in writers)
        {
            instances += writer.Instances;
        }

        var result = new CrashLoopResult
        {
            Seed = options.Seed,
            RoundsCompleted = journal.ProblemCount == 0 ? round : round - 1,
            Kills = kills,
            StartupKills = startupKills,
            StartupKillsBeforeStarted = startupKillsBeforeStarted,
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
    public static string Summary(CrashLoopResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Create(CultureInfo.InvariantCulture,
            $"seed {result.Seed}: {(result.Passed ? "PASSED" : "FAILED")} after {result.RoundsCompleted} rounds ({result.Kills} kills under load, {result.StartupKills} during start-up of which {result.StartupKillsBeforeStarted} before it reported started) in {result.Elapsed.TotalSeconds:F0} s; acknowledged {result.Acknowledged}, delivery failed {result.DeliveryFailed}, lost {result.Lost}, duplicated {result.Duplicated}, out of order {result.OutOfOrder}, corrupt/misplaced {result.CorruptOrMisplaced}; audited {result.MessagesAudited} messages and {result.AcknowledgementsChecked} acknowledgements; group consumed {result.GroupConsumed} with {result.GroupCommits} commits, {result.CommitsChecked} committed offsets checked; {result.ProducerInstances} producer instances; {result.Problems.Count} problems");
    }

    private static async Task CreateTopicAsync(string bootstrapServers, CrashLoopOptions options)
    {
        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers, ClientId = "crash-loop-admin" }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = options.Topic, NumPartitions = options.Partitions, ReplicationFactor = 1 }]).ConfigureAwait(false);
    }

    internal static void StopAll(IdempotentWriter[] writers)
    {
        // Each flushes on its own thread; in parallel, so a slow flush does not add up.
        var stopping = new Thread[writers.Length];
        for (int i = 0; i < writers.Length; i++)
        {
            IdempotentWriter writer = writers[i];
            stopping[i] = new Thread(writer.Stop) { IsBackground = true };
            stopping[i].Start();
        }

        foreach (Thread thread in stopping)
        {
            thread.Join();
        }
    }

    internal static void StopConsumer(CommittingConsumer consumer, CrashLoopOptions options, RunJournal journal, string when)
    {
        if (!consumer.Stop(options.StepTimeout))
        {
            journal.Problem($"{when}: the group consumer did not stop within {options.StepTimeout.TotalSeconds} s ({consumer.Status})");
        }
    }

    internal static async Task WaitForGroupToCatchUpAsync(string bootstrapServers, CrashLoopOptions options, CommittingConsumer consumer, RunJournal journal, string when, CancellationToken cancellationToken)
    {
        long[] ends;
        using (IConsumer<Ignore, Ignore> query = HighWatermarks.OpenQueryConsumer(bootstrapServers, "crash-loop-final"))
        {
            ends = HighWatermarks.Query(query, options.Topic, options.Partitions, Stopwatch.StartNew(), options.StepTimeout);
        }

        bool caughtUp = await WaitUntilAsync(() =>
        {
            long[] committed = consumer.Committed();
            for (int p = 0; p < ends.Length; p++)
            {
                if (committed[p] < ends[p])
                {
                    return false;
                }
            }

            return true;
        }, options.StepTimeout, cancellationToken).ConfigureAwait(false);
        if (!caughtUp)
        {
            journal.Problem($"{when}: the group did not commit the log ends [{string.Join(", ", ends)}] within {options.StepTimeout.TotalSeconds} s; it committed [{string.Join(", ", consumer.Committed())}]");
            consumer.DumpDebugLog();
        }
    }

    internal static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    internal static TimeSpan Between(Random random, TimeSpan min, TimeSpan max) =>
        min + TimeSpan.FromMilliseconds(random.NextDouble() * (max - min).TotalMilliseconds);

    internal static void Add(AuditFigures totals, AuditFigures round)
    {
        totals.MessagesRead += round.MessagesRead;
        totals.AcknowledgedChecked += round.AcknowledgedChecked;
        totals.Lost += round.Lost;
        totals.Duplicated += round.Duplicated;
        totals.OutOfOrder += round.OutOfOrder;
        totals.Misplaced += round.Misplaced;
        totals.Corrupt += round.Corrupt;
        totals.ConsumeErrors += round.ConsumeErrors;
    }

    private static void KeepEvidence(BrokerProcess broker, CrashLoopOptions options, int round, RunJournal journal)
    {
        string tail = broker.Output;
        const int TailChars = 20_000;
        journal.Info("broker output (tail):\n" + (tail.Length > TailChars ? tail[^TailChars..] : tail));
        if (options.EvidenceDirectory is null)
        {
            return;
        }

        string target = Path.Combine(options.EvidenceDirectory, string.Create(CultureInfo.InvariantCulture, $"crash-loop-seed-{options.Seed}-round-{round}"));
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "broker-output.txt"), broker.Output);
        CopyDirectory(broker.LogDir, Path.Combine(target, "log-dir"));
        journal.Info($"evidence kept in {target}");
    }

    internal static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.EnumerateFiles(source))
        {
            try
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
            }
            catch (IOException)
            {
                // The running broker holds .lock exclusively; everything else is plain data.
            }
        }

        foreach (string dir in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(dir, Path.Combine(target, Path.GetFileName(dir)));
        }
    }
}
