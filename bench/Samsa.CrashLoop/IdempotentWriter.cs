using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace Samsa.CrashLoop;

/// <summary>
/// One producing thread with an idempotent Confluent.Kafka producer (acks=all), writing
/// self-describing values in bursts to random partitions at a paced rate, straight through broker
/// kills: librdkafka keeps its producer id and sequence numbers and retries. The delivery reports
/// go to the producer instance's <see cref="DeliveryLedger"/>. A producer that hits a fatal error
/// (which a broker that kept its producer state never causes) is reported as a problem and
/// replaced; <see cref="Rotate"/> replaces it on purpose, so new producer ids are also taken after
/// restarts. The thread is the only user of its producer; librdkafka's own thread runs the reports.
/// </summary>
internal sealed class IdempotentWriter
{
    // Bounds what a long outage can queue in the client.
    private const long MaxOutstanding = 20_000;
    private const int MaxBurst = 40;
    private const int MaxLoggedClientLines = 100;

    private static readonly CompressionType[] Codecs =
        [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

    private readonly string _bootstrapServers;
    private readonly CrashLoopOptions _options;
    private readonly LedgerBook _book;
    private readonly RunJournal _journal;
    private readonly Random _random;
    private readonly Thread _thread;
    private readonly string _name;
    private volatile bool _stop;
    private volatile bool _rotate;
    private long _outstanding;
    private int _loggedClientLines;
    private int _instances;
    private int _deliveryFailuresLogged;

    public IdempotentWriter(int index, string bootstrapServers, CrashLoopOptions options, LedgerBook book, RunJournal journal, int seed)
    {
        _bootstrapServers = bootstrapServers;
        _options = options;
        _book = book;
        _journal = journal;
        _random = new Random(seed);
        _name = "writer " + index.ToString(CultureInfo.InvariantCulture);
        _thread = new Thread(Run) { IsBackground = true, Name = "crash-loop " + _name };
    }

    /// <summary>Producer instances this writer has created (1 + rotations + replacements after fatal errors).</summary>
    public int Instances => Volatile.Read(ref _instances);

    public void Start() => _thread.Start();

    /// <summary>Closes the current producer (flushing it) and continues with a new one.</summary>
    public void Rotate() => _rotate = true;

    /// <summary>Stops producing, flushes what is queued (every report arrives or the step timeout passes) and closes the producer.</summary>
    public void Stop()
    {
        _stop = true;
        _thread.Join();
    }

    private void Run()
    {
        ProducerRun run = Open();
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (!_stop)
        {
            if (run.Fatal || _rotate)
            {
                Close(run, flush: !run.Fatal);
                _rotate = false;
                run = Open();
                clock.Restart();
                sent = 0;
            }

            long due = clock.ElapsedMilliseconds * _options.MessagesPerSecond / 1000;
            if (sent >= due || Interlocked.Read(ref _outstanding) >= MaxOutstanding)
            {
                // Pacing the load generator, not waiting for a condition.
                Thread.Sleep(2);
                continue;
            }

            int partition = _random.Next(_options.Partitions);
            int burst = _random.Next(1, MaxBurst + 1);
            for (int i = 0; i < burst && !run.Fatal; i++)
            {
                Send(run, partition);
                sent++;
            }
        }

        Close(run, flush: true);
    }

    private ProducerRun Open()
    {
        DeliveryLedger ledger = _book.Open();
        var config = new ProducerConfig
        {
            BootstrapServers = _bootstrapServers,
            ClientId = "crash-loop-producer-" + ledger.Producer.ToString(CultureInfo.InvariantCulture),
            EnableIdempotence = true,
            Acks = Acks.All,
            MaxInFlight = 5,
            CompressionType = Codecs[_random.Next(Codecs.Length)],
            LingerMs = _random.Next(0, 21),
            BatchNumMessages = _random.Next(1, 501),
            // Nothing should fail for lack of time: an outage lasts seconds.
            MessageTimeoutMs = 120_000,
            RetryBackoffMs = 50,
            RetryBackoffMaxMs = 200,
            ReconnectBackoffMs = 50,
            ReconnectBackoffMaxMs = 500,
            // Kept in memory, printed with the first failed delivery: what the client knew about the topic and its producer id.
            Debug = "metadata,topic,eos",
        };
        var run = new ProducerRun(ledger);
        run.Producer = new ProducerBuilder<Null, string>(config)
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    run.Fatal = true;
                    _journal.Problem($"{_name}: producer {ledger.Producer} hit a fatal error: {error.Code} {error.Reason}");
                    _journal.Info($"{_name}: producer {ledger.Producer}: its last librdkafka debug lines:\n{run.Debug.Dump()}");
                }
            })
            .SetLogHandler((_, message) => OnClientLog(run, message))
            .Build();
        Interlocked.Increment(ref _instances);
        _journal.Info($"{_name}: producer {ledger.Producer} started ({config.CompressionType}, linger {config.LingerMs} ms, batch {config.BatchNumMessages})");
        return run;
    }

    private void Send(ProducerRun run, int partition)
    {
        DeliveryLedger ledger = run.Ledger;
        int sequence = ledger.Reserve(partition);
        var message = new Message<Null, string> { Value = new MessageValue(ledger.Producer, partition, sequence).Format() };
        Interlocked.Increment(ref _outstanding);
        try
        {
            run.Producer!.Produce(new TopicPartition(_options.Topic, partition), message, report => OnReport(run, partition, sequence, report));
        }
        catch (KafkaException e)
        {
            // Not sent at all (queue full, or the producer is in a fatal state): allowed to be missing.
            Interlocked.Decrement(ref _outstanding);
            ledger.Settle(partition, sequence, DeliveryLedger.Failed);
            _journal.Tally($"produce refused: {e.Error.Code}");
            if (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                Thread.Sleep(5);
            }
        }
    }

    private void OnReport(ProducerRun run, int partition, int sequence, DeliveryReport<Null, string> report)
    {
        DeliveryLedger ledger = run.Ledger;
        Interlocked.Decrement(ref _outstanding);
        if (!report.Error.IsError && report.Status == PersistenceStatus.Persisted && report.Partition.Value == partition)
        {
            if (report.Offset.Value >= 0)
            {
                ledger.Settle(partition, sequence, report.Offset.Value);
                return;
            }

            // librdkafka's implicit acknowledgement (see DeliveryLedger.PersistedWithoutOffset): the
            // audit still requires the message to be stored, once.
            ledger.Settle(partition, sequence, DeliveryLedger.PersistedWithoutOffset);
            _journal.Tally("delivery acknowledged without an offset (librdkafka's implicit ack)");
            return;
        }

        ledger.Settle(partition, sequence, DeliveryLedger.Failed);
        _journal.Tally($"delivery failed: {report.Error.Code} ({report.Status})");
        if (Interlocked.Increment(ref _deliveryFailuresLogged) <= 10)
        {
            _journal.Info($"{_name}: delivery failed for {new MessageValue(ledger.Producer, partition, sequence)}: {report.Error.Code} {report.Error.Reason} ({report.Status})");
        }

        if (Interlocked.Exchange(ref run.DebugDumped, 1) == 0)
        {
            _journal.Info($"{_name}: producer {ledger.Producer}: its last librdkafka debug lines before the first failed delivery:\n{run.Debug.Dump()}");
        }
    }

    private void Close(ProducerRun run, bool flush)
    {
        IProducer<Null, string> producer = run.Producer!;
        if (flush)
        {
            int left = producer.Flush(_options.StepTimeout);
            if (left > 0)
            {
                _journal.Problem($"{_name}: producer {run.Ledger.Producer} still had {left} messages undelivered {_options.StepTimeout.TotalSeconds} s into its flush");
            }
        }

        producer.Dispose();
    }

    private void OnClientLog(ProducerRun run, LogMessage message)
    {
        if (message.Level == SyslogLevel.Debug)
        {
            run.Debug.Add(message.Facility, message.Message);
            return;
        }

        // Connection refusals and disconnects are the point of the exercise; keep the rest (idempotence state, sequence trouble).
        if (message.Level > SyslogLevel.Warning
            || message.Message.Contains("Connect", StringComparison.OrdinalIgnoreCase)
            || message.Message.Contains("Disconnected", StringComparison.OrdinalIgnoreCase)
            || message.Message.Contains("refused", StringComparison.OrdinalIgnoreCase)
            || message.Message.Contains("brokers are down", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (Interlocked.Increment(ref _loggedClientLines) <= MaxLoggedClientLines)
        {
            _journal.Info($"{_name}: producer {run.Ledger.Producer} librdkafka {message.Level} {message.Facility}: {message.Message}");
        }
    }

    /// <summary>One producer instance and its ledger; Fatal is set from librdkafka's thread.</summary>
    private sealed class ProducerRun(DeliveryLedger ledger)
    {
        public DeliveryLedger Ledger { get; } = ledger;

        public IProducer<Null, string>? Producer { get; set; }

        public DebugRing Debug { get; } = new(1000);

        /// <summary>Set by the first failed delivery, whose report prints <see cref="Debug"/>.</summary>
        public int DebugDumped;

        public volatile bool Fatal;
    }
}
