using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Samsa.Testing;

namespace Samsa.CrashLoop;

/// <summary>
/// The load both loops keep on the brokers and audit after every fault: idempotent acks=all
/// writers (<see cref="IdempotentWriter"/>) and a committing group consumer running throughout,
/// and the audits of the committed offsets and of the whole log (<see cref="CommitAudit"/>,
/// <see cref="LogAudit"/>), summed over the run.
/// </summary>
internal sealed class AuditedWorkload
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly string _bootstrapServers;
    private readonly CrashLoopOptions _options;
    private readonly RunJournal _journal;
    private readonly IdempotentWriter[] _writers;
    private readonly LogAudit _logAudit;
    private readonly CommitAudit _commitAudit;
    private readonly AuditFigures _totals = new();
    private long _commitsChecked;
    private bool _stopped;

    /// <summary>Sets the workload up (not started); each writer's seed is the next of <paramref name="random"/>.</summary>
    public AuditedWorkload(string bootstrapServers, CrashLoopOptions options, RunJournal journal, Random random)
    {
        _bootstrapServers = bootstrapServers;
        _options = options;
        _journal = journal;
        Book = new LedgerBook(options.Partitions);
        _writers = new IdempotentWriter[options.Producers];
        for (int i = 0; i < _writers.Length; i++)
        {
            _writers[i] = new IdempotentWriter(i, bootstrapServers, options, Book, journal, random.Next());
        }

        Consumer = new CommittingConsumer(bootstrapServers, options, journal);
        _logAudit = new LogAudit(bootstrapServers, options, journal);
        _commitAudit = new CommitAudit(bootstrapServers, options, journal);
    }

    /// <summary>Every message the writers sent and what its delivery report said.</summary>
    public LedgerBook Book { get; }

    public CommittingConsumer Consumer { get; }

    /// <summary>
    /// Runs a loop's rounds under this load and returns the run's figures. Each round runs
    /// <paramref name="round"/> (the loop's own part: its fault), then audits and checks the group's
    /// progress; a round that finds a problem is the last. After the last round the final audit.
    /// Whatever happens the load stops, and a run with a problem keeps its evidence (<see cref="Evidence"/>)
    /// in a folder named "{evidenceName}-seed-{seed}-round-{round}".
    /// </summary>
    /// <param name="round">Given the round's number and its name for problems ("seed S round R"):
    /// returns the round's line, to which the audit's figures are added, or null once it journaled a
    /// problem that ends the run.</param>
    /// <param name="groupProgressLimit">How long the group consumer may go without a message (<see cref="CheckGroupProgress"/>).</param>
    /// <param name="evidenceName">The first part of the evidence folder's name.</param>
    /// <param name="evidence">The processes whose output (and log dirs) a failing run keeps, the last <paramref name="evidenceTailLines"/> lines of it in the journal.</param>
    /// <param name="evidenceTailLines">How much of each process's output the journal shows.</param>
    /// <param name="elapsed">Runs from the start of the run, for the figures.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    public async Task<LoopResult> RunRoundsAsync(
        Func<int, string, Task<string?>> round,
        TimeSpan groupProgressLimit,
        string evidenceName,
        Func<IReadOnlyList<Evidence.ProcessOutput>> evidence,
        int evidenceTailLines,
        Stopwatch elapsed,
        CancellationToken cancellationToken)
    {
        int seed = _options.Seed;
        int rounds = 0;
        Start();
        try
        {
            while (rounds < _options.Rounds && _journal.ProblemCount == 0)
            {
                rounds++;
                string when = $"seed {seed} round {rounds}";
                string? done = await round(rounds, when).ConfigureAwait(false);
                if (done is null)
                {
                    break;
                }

                string audited = await AuditAsync(when, cancellationToken).ConfigureAwait(false);
                _journal.Info($"{done}; {audited}");
                CheckGroupProgress(when, groupProgressLimit);
            }

            if (_journal.ProblemCount == 0 && rounds == _options.Rounds)
            {
                await FinalAuditAsync($"seed {seed} final audit", cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            Stop($"seed {seed} round {rounds}");
            if (_journal.ProblemCount > 0)
            {
                Evidence.Keep(
                    _journal,
                    _options.EvidenceDirectory,
                    string.Create(CultureInfo.InvariantCulture, $"{evidenceName}-seed-{seed}-round-{rounds}"),
                    evidence(),
                    evidenceTailLines);
            }
        }

        return Conclude(rounds, elapsed.Elapsed);
    }

    /// <summary>Waits for one more acknowledged message; false if none comes within the step timeout.</summary>
    public Task<bool> AcknowledgesAgainAsync(CancellationToken cancellationToken)
    {
        long before = Book.Acknowledged();
        return Polling.TryUntilAsync(() => Book.Acknowledged() > before, _options.StepTimeout, PollInterval, cancellationToken);
    }

    /// <summary>One writer, drawn from <paramref name="random"/>, goes on with a new producer id.</summary>
    public void RotateWriter(Random random) => _writers[random.Next(_writers.Length)].Rotate();

    private void Start()
    {
        foreach (IdempotentWriter writer in _writers)
        {
            writer.Start();
        }

        Consumer.Start();
    }

    /// <summary>A round's audits, while the load goes on; returns what they checked, for the round's line.</summary>
    private async Task<string> AuditAsync(string when, CancellationToken cancellationToken)
    {
        int commits = await Task.Run(() => _commitAudit.Run(Consumer.Committed(), when), cancellationToken).ConfigureAwait(false);
        _commitsChecked += commits;
        AuditFigures figures = await Task.Run(() => _logAudit.Run(Book.All(), when), cancellationToken).ConfigureAwait(false);
        Add(figures);
        return string.Create(CultureInfo.InvariantCulture,
            $"audit read {figures.MessagesRead}, checked {figures.AcknowledgedChecked} acknowledgements and {commits} committed offsets; group consumed {Consumer.Consumed}, {Consumer.Commits} commits ({Consumer.Status})");
    }

    /// <summary>A problem if the group consumer has been given no message for longer than <paramref name="limit"/>.</summary>
    private void CheckGroupProgress(string when, TimeSpan limit)
    {
        if (Consumer.SinceProgress > limit)
        {
            _journal.Problem($"{when}: the group consumer was given no message for {Consumer.SinceProgress.TotalSeconds:F0} s while the producers wrote ({Consumer.Status})");
            Consumer.DumpDebugLog();
        }
    }

    /// <summary>
    /// After the last round: the writers flush and stop, the group must commit the log end of every
    /// partition, and the audits run once more; every message must have had its delivery report.
    /// </summary>
    private async Task FinalAuditAsync(string when, CancellationToken cancellationToken)
    {
        await Task.Run(StopWriters, cancellationToken).ConfigureAwait(false);
        await WaitForGroupToCatchUpAsync(when, cancellationToken).ConfigureAwait(false);
        StopConsumer(when);
        _stopped = true;
        _commitsChecked += _commitAudit.Run(Consumer.Committed(), when);
        AuditFigures figures = _logAudit.Run(Book.All(), when);
        Add(figures);
        long pending = Book.Pending();
        if (pending > 0)
        {
            _journal.Problem($"{when}: {pending} messages never got a delivery report");
        }

        _journal.Info($"final audit: read {figures.MessagesRead}, checked {figures.AcknowledgedChecked} acknowledgements");
    }

    /// <summary>Stops the writers and the consumer, unless the final audit did.</summary>
    private void Stop(string when)
    {
        if (!_stopped)
        {
            StopWriters();
            StopConsumer(when);
        }
    }

    /// <summary>
    /// Journals the tallies and returns the run's figures after <paramref name="round"/> rounds (a
    /// round that found a problem was the last and does not count as completed).
    /// </summary>
    private LoopResult Conclude(int round, TimeSpan elapsed)
    {
        int instances = 0;
        foreach (IdempotentWriter writer in _writers)
        {
            instances += writer.Instances;
        }

        var result = new LoopResult
        {
            Seed = _options.Seed,
            RoundsCompleted = _journal.ProblemCount == 0 ? round : round - 1,
            Acknowledged = Book.Acknowledged(),
            AcknowledgedWithoutOffset = Book.PersistedWithoutOffset(),
            DeliveryFailed = Book.Failed(),
            Lost = _totals.Lost,
            Duplicated = _totals.Duplicated,
            OutOfOrder = _totals.OutOfOrder,
            CorruptOrMisplaced = _totals.Corrupt + _totals.Misplaced + _totals.ConsumeErrors,
            MessagesAudited = _totals.MessagesRead,
            AcknowledgementsChecked = _totals.AcknowledgedChecked,
            GroupCommits = Consumer.Commits,
            CommitsChecked = _commitsChecked,
            GroupConsumed = Consumer.Consumed,
            ProducerInstances = instances,
            Elapsed = elapsed,
            Problems = _journal.Problems(),
        };
        foreach (KeyValuePair<string, long> tally in _journal.Tallies())
        {
            _journal.Info(string.Create(CultureInfo.InvariantCulture, $"  {tally.Key}: {tally.Value}"));
        }

        return result;
    }

    private void StopWriters()
    {
        // Each flushes on its own thread; in parallel, so a slow flush does not add up.
        var stopping = new Thread[_writers.Length];
        for (int i = 0; i < _writers.Length; i++)
        {
            stopping[i] = new Thread(_writers[i].Stop) { IsBackground = true };
            stopping[i].Start();
        }

        foreach (Thread thread in stopping)
        {
            thread.Join();
        }
    }

    private void StopConsumer(string when)
    {
        if (!Consumer.Stop(_options.StepTimeout))
        {
            _journal.Problem($"{when}: the group consumer did not stop within {_options.StepTimeout.TotalSeconds} s ({Consumer.Status})");
        }
    }

    private async Task WaitForGroupToCatchUpAsync(string when, CancellationToken cancellationToken)
    {
        long[] ends;
        using (IConsumer<Ignore, Ignore> query = HighWatermarks.OpenQueryConsumer(_bootstrapServers, "crash-loop-final"))
        {
            ends = HighWatermarks.Query(query, _options.Topic, _options.Partitions, Stopwatch.StartNew(), _options.StepTimeout);
        }

        bool caughtUp = await Polling.TryUntilAsync(() =>
        {
            long[] committed = Consumer.Committed();
            for (int p = 0; p < ends.Length; p++)
            {
                if (committed[p] < ends[p])
                {
                    return false;
                }
            }

            return true;
        }, _options.StepTimeout, PollInterval, cancellationToken).ConfigureAwait(false);
        if (!caughtUp)
        {
            _journal.Problem($"{when}: the group did not commit the log ends [{string.Join(", ", ends)}] within {_options.StepTimeout.TotalSeconds} s; it committed [{string.Join(", ", Consumer.Committed())}]");
            Consumer.DumpDebugLog();
        }
    }

    private void Add(AuditFigures round)
    {
        _totals.MessagesRead += round.MessagesRead;
        _totals.AcknowledgedChecked += round.AcknowledgedChecked;
        _totals.Lost += round.Lost;
        _totals.Duplicated += round.Duplicated;
        _totals.OutOfOrder += round.OutOfOrder;
        _totals.Misplaced += round.Misplaced;
        _totals.Corrupt += round.Corrupt;
        _totals.ConsumeErrors += round.ConsumeErrors;
    }
}
