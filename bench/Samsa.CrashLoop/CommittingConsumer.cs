using System.Diagnostics;
using Confluent.Kafka;

namespace Samsa.CrashLoop;

/// <summary>
/// A Confluent.Kafka group member (classic protocol, check.crcs=true) that consumes the topic,
/// checks every value it is given, and commits synchronously after processing, every 200 messages
/// or 200 ms; the offsets a commit reported as done are the harness's record of what the group
/// committed, which the broker must never forget. Runs on its own thread (librdkafka runs group
/// work only inside Consume); <see cref="Committed"/> is read from the round loop.
/// </summary>
internal sealed class CommittingConsumer
{
    private const int CommitEveryMessages = 200;
    private const int MaxLoggedLines = 300;

    // librdkafka's group debug log (heartbeats, joins, commits) is kept in memory and printed only
    // when the group stalls: the last lines say what the client was waiting for.
    private const int KeptDebugLines = 5000;
    private static readonly TimeSpan CommitEvery = TimeSpan.FromMilliseconds(200);

    private readonly string _bootstrapServers;
    private readonly CrashLoopOptions _options;
    private readonly RunJournal _journal;
    private readonly Thread _thread;
    private readonly Lock _lock = new();
    private readonly long[] _committed;
    private volatile bool _stop;

    // Consumer thread only: the group has assigned partitions at least once.
    private bool _assignedOnce;
    private long _consumed;
    private long _commits;
    private long _lastProgressTicks = Stopwatch.GetTimestamp();
    private long _commitStartedTicks;
    private int _loggedLines;
    private string _assignment = "none";
    private readonly DebugRing _debugLines = new(KeptDebugLines);

    public CommittingConsumer(string bootstrapServers, CrashLoopOptions options, RunJournal journal)
    {
        _bootstrapServers = bootstrapServers;
        _options = options;
        _journal = journal;
        _committed = new long[options.Partitions];
        Array.Fill(_committed, -1);
        _thread = new Thread(Run) { IsBackground = true, Name = "crash-loop consumer" };
    }

    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Commits that succeeded (for at least one partition).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>How long ago the consumer was last given a message.</summary>
    public TimeSpan SinceProgress => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastProgressTicks));

    /// <summary>What it is doing, for the round's line: assignment, time since the last message, a commit in progress.</summary>
    public string Status
    {
        get
        {
            long commitStarted = Interlocked.Read(ref _commitStartedTicks);
            string commit = commitStarted == 0 ? "" : $", in a commit for {Stopwatch.GetElapsedTime(commitStarted).TotalSeconds:F1} s";
            return $"assigned {Volatile.Read(ref _assignment)}, last message {SinceProgress.TotalSeconds:F1} s ago{commit}";
        }
    }

    public void Start() => _thread.Start();

    /// <summary>Stops consuming, commits what was processed and leaves the group.</summary>
    /// <returns>False when the thread did not finish within <paramref name="timeout"/> (stuck in a client call); it is left behind.</returns>
    public bool Stop(TimeSpan timeout)
    {
        _stop = true;
        return !_thread.IsAlive || _thread.Join(timeout);
    }

    /// <summary>Per partition, the highest offset a commit reported as done; -1 where none was.</summary>
    public long[] Committed()
    {
        lock (_lock)
        {
            return [.. _committed];
        }
    }

    private void Run()
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            ClientId = "crash-loop-group-consumer",
            GroupId = _options.Group,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            CheckCrcs = true,
            Debug = "cgrp,broker,protocol",
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
        };
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(config)
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    _journal.Problem($"group consumer: fatal error {error.Code} {error.Reason}");
                }
                else
                {
                    _journal.Tally($"group consumer error: {error.Code}");
                }
            })
            .SetLogHandler((_, message) => OnClientLog(message))
            .SetPartitionsAssignedHandler((_, partitions) => OnRebalance("assigned", partitions))
            .SetPartitionsRevokedHandler((_, partitions) => OnRebalance("revoked", [.. partitions.ConvertAll(p => p.TopicPartition)]))
            .SetPartitionsLostHandler((_, partitions) => OnRebalance("lost", [.. partitions.ConvertAll(p => p.TopicPartition)]))
            .Build();
        consumer.Subscribe(_options.Topic);
        var sinceCommit = Stopwatch.StartNew();
        int uncommitted = 0;
        while (!_stop)
        {
            ConsumeResult<Ignore, string>? result;
            try
            {
                result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException e) when (!_assignedOnce && e.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                // Before the first assignment only: a topic just created is announced to the brokers one
                // by one, and the broker the consumer asked may not know it yet. Later it is a problem.
                _journal.Tally("group consumer: topic not yet known at subscribe");
                continue;
            }
            catch (ConsumeException e)
            {
                // A torn or corrupt batch (CRC), an offset out of range: nothing a crash may cause.
                _journal.Problem($"group consumer: {e.Error.Code} {e.Error.Reason} at {e.ConsumerRecord?.TopicPartitionOffset}");
                continue;
            }

            if (result is { IsPartitionEOF: false })
            {
                if (!MessageValue.TryParse(result.Message.Value, out MessageValue value) || value.Partition != result.Partition.Value)
                {
                    _journal.Problem($"group consumer: unreadable or misplaced value at {result.TopicPartitionOffset}: '{result.Message.Value}'");
                }

                consumer.StoreOffset(result);
                Interlocked.Increment(ref _consumed);
                Interlocked.Exchange(ref _lastProgressTicks, Stopwatch.GetTimestamp());
                uncommitted++;
            }

            if (uncommitted >= CommitEveryMessages || (uncommitted > 0 && sinceCommit.Elapsed >= CommitEvery))
            {
                Commit(consumer);
                uncommitted = 0;
                sinceCommit.Restart();
            }
        }

        Commit(consumer);
        consumer.Close();
    }

    private void Commit(IConsumer<Ignore, string> consumer)
    {
        Interlocked.Exchange(ref _commitStartedTicks, Stopwatch.GetTimestamp());
        try
        {
            Record(consumer.Commit());
            Interlocked.Increment(ref _commits);
        }
        catch (TopicPartitionOffsetException e)
        {
            // Some partitions committed, some not: the ones without an error are done.
            var done = new List<TopicPartitionOffset>();
            foreach (TopicPartitionOffsetError result in e.Results)
            {
                if (!result.Error.IsError)
                {
                    done.Add(result.TopicPartitionOffset);
                }
            }

            Record(done);
        }
        catch (KafkaException)
        {
            // A failed commit (broker down, coordinator moving) is allowed and simply not recorded;
            // Local_NoOffset means nothing was stored since the last commit.
        }
        finally
        {
            Interlocked.Exchange(ref _commitStartedTicks, 0);
        }
    }

    private void OnRebalance(string what, List<TopicPartition> partitions)
    {
        _journal.Tally("group consumer: partitions " + what);
        if (what == "assigned")
        {
            _assignedOnce = true;
            Volatile.Write(ref _assignment, "[" + string.Join(", ", partitions.ConvertAll(p => p.Partition.Value)) + "]");
        }
        else
        {
            Volatile.Write(ref _assignment, "none (" + what + ")");
        }

        Log($"group consumer: partitions {what}: [{string.Join(", ", partitions.ConvertAll(p => p.Partition.Value))}]");
    }

    /// <summary>Writes the kept group debug lines to the journal (when the group stalled).</summary>
    public void DumpDebugLog() => _journal.Info("group consumer: its last librdkafka debug lines (cgrp, broker, protocol):\n" + _debugLines.Dump());

    private void OnClientLog(LogMessage message)
    {
        if (message.Level == SyslogLevel.Debug)
        {
            _debugLines.Add(message.Facility, message.Message);
            return;
        }

        // Connection refusals and disconnects are the point of the exercise; keep the rest (group state, commits).
        if (message.Level > SyslogLevel.Warning
            || message.Message.Contains("Connect", StringComparison.OrdinalIgnoreCase)
            || message.Message.Contains("Disconnected", StringComparison.OrdinalIgnoreCase)
            || message.Message.Contains("refused", StringComparison.OrdinalIgnoreCase)
            || message.Message.Contains("brokers are down", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        Log($"group consumer: librdkafka {message.Level} {message.Facility}: {message.Message}");
    }

    private void Log(string line)
    {
        if (Interlocked.Increment(ref _loggedLines) <= MaxLoggedLines)
        {
            _journal.Info(line);
        }
    }

    private void Record(List<TopicPartitionOffset> done)
    {
        lock (_lock)
        {
            foreach (TopicPartitionOffset committed in done)
            {
                int partition = committed.Partition.Value;
                if (committed.Offset.Value >= 0 && partition < _committed.Length)
                {
                    _committed[partition] = Math.Max(_committed[partition], committed.Offset.Value);
                }
            }
        }
    }
}
