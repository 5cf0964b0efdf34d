using System.Globalization;
using Confluent.Kafka;
using Samsa.Cli.Clients;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// kafka-producer-perf-test.sh: sends --num-records values of --record-size bytes (or from
/// --payload-file, or --payload-monotonic) to --topic as fast as the client goes, or at
/// --throughput records/s, and prints Kafka's ProducerPerformance lines: a window line every 5 s
/// and the total with latency percentiles. Latency runs from the send call to its delivery report.
/// With --warmup-records (Kafka 4.x, KIP-1052) the records after the first N are also counted on
/// their own and summed up in a last "steady state" line: the client's start-up (metadata, a
/// producer id) and the broker's first requests stay out of that line's percentiles.
/// The client is Confluent.Kafka with the settings of --producer.config then --producer-props;
/// unset keys keep librdkafka's defaults (acks=all, linger.ms=5, batch.size=1000000), except
/// enable.idempotence, which is on with acks=all as in Kafka's 3.x producer.
/// </summary>
internal sealed class ProducerPerformance : IDisposable
{
    /// <summary>librdkafka's default queue.buffering.max.messages.</summary>
    private const long DefaultQueueLimit = 100_000;

    /// <summary>
    /// The most send slots kept (about 100 bytes each): past this a larger client queue still
    /// works, sends just wait for the slot's previous record, which is half a second of records
    /// at the client's ceiling.
    /// </summary>
    private const long MaxSlots = 262_144;

    private static readonly TimeSpan StopFlushTimeout = TimeSpan.FromSeconds(5);

    private readonly long _numRecords;
    private readonly long _warmupRecords;
    private readonly PerfTestProgress _output;
    private readonly ProducerPerformanceStats _stats;
    private readonly Lock _statsLock = new();
    private readonly long _startMs;
    private readonly Action<ProducerPerformanceSendSlot, DeliveryReport<Null, byte[]>> _onDelivery;
    private ProducerPerformanceStats? _steadyStats;
    private long _sent;
    private long _completed;

    private ProducerPerformance(long numRecords, long warmupRecords, long startMs)
    {
        _numRecords = numRecords;
        _warmupRecords = warmupRecords;
        _startMs = startMs;
        _output = new PerfTestProgress(Status);
        _stats = new ProducerPerformanceStats(numRecords, startMs, _output);
        _onDelivery = OnDelivery; // one delegate, shared by every slot
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        ProducerPerformanceArguments arguments = ProducerPerformanceArguments.Parse(args);
        if (arguments.HelpShown)
        {
            return 0;
        }

        Dictionary<string, string> properties = BuildProperties(arguments);
        ProducerPerformancePayloads payloads = ProducerPerformancePayloads.Create(arguments);
        if (!IsMock(properties))
        {
            BootstrapProbe probe = await BootstrapProbe.RunAsync(properties["bootstrap.servers"], cancellationToken).ConfigureAwait(false);
            if (!probe.Reachable)
            {
                ToolLog.Write("WARN", probe.UnreachableMessage("Producer clientId=" + properties["client.id"]), "org.apache.kafka.clients.NetworkClient");
                return 1;
            }
        }

        var config = new ProducerConfig();
        KafkaClients.Apply(config, properties);
        PerfTestMetrics? metrics = arguments.PrintMetrics ? new PerfTestMetrics() : null;
        if (metrics is not null)
        {
            config.StatisticsIntervalMs = PerfTestMetrics.StatisticsIntervalMs;
        }

        IProducer<Null, byte[]> producer;
        try
        {
            var builder = new ProducerBuilder<Null, byte[]>(config)
                .SetLogHandler(static (_, _) => { })
                .SetErrorHandler(static (_, _) => { });
            if (metrics is not null)
            {
                builder.SetStatisticsHandler((_, json) => metrics.OnStatistics(json));
            }

            producer = builder.Build();
        }
        catch (Exception e) when (e is ArgumentException or KafkaException or InvalidOperationException)
        {
            throw new UsageException(e.Message);
        }

        long queueLimit = properties.TryGetValue("queue.buffering.max.messages", out string? limit)
            && long.TryParse(limit, CultureInfo.InvariantCulture, out long parsed) && parsed > 0 ? parsed : DefaultQueueLimit;
        using (producer)
        {
            if (arguments.WarmupRecords > 0)
            {
                Console.Out.Write($"Warmup first {arguments.WarmupRecords} records. Steady state results will print after the complete test summary.\n");
                Console.Out.Flush();
            }

            using var tool = new ProducerPerformance(arguments.NumRecords, arguments.WarmupRecords, NowMs());
            bool finished = tool.SendAll(producer, arguments.Topic, payloads, arguments.Throughput, queueLimit, cancellationToken);
            Flush(producer, finished, cancellationToken);
            lock (tool._statsLock)
            {
                long now = NowMs();
                tool._stats.PrintTotal(now);
                tool._steadyStats?.PrintTotal(now);
            }

            if (metrics is not null)
            {
                metrics.WaitForFresh(cancellationToken);
                tool._output.Dispose();
                metrics.Print(Console.Out, "producer");
            }

            return finished ? 0 : Shutdown.ExitCode;
        }
    }

    public void Dispose() => _output.Dispose();

    /// <summary>
    /// The hot loop: one reused message object, and a ring of send slots (each with its delivery
    /// delegate) filled as records go out, so nothing is allocated per record beyond what
    /// Confluent.Kafka allocates itself. Returns false when stopped early.
    /// </summary>
    private bool SendAll(IProducer<Null, byte[]> producer, string topic, ProducerPerformancePayloads payloads,
        double throughput, long queueLimit, CancellationToken cancellationToken)
    {
        var message = new Message<Null, byte[]>();
        var throttler = new ProducerPerformanceThrottler(throughput, _startMs);
        var slots = new ProducerPerformanceSendSlot?[Math.Min(Math.Min(queueLimit, _numRecords), MaxSlots)];
        for (long i = 0; i < _numRecords; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            message.Value = payloads.Next(i);
            long sendStartMs = NowMs();
            if (i == _warmupRecords && i > 0)
            {
                lock (_statsLock)
                {
                    _steadyStats = new ProducerPerformanceStats(_numRecords - _warmupRecords, sendStartMs, _output, steadyState: true);
                    _stats.SuppressWindows();
                }
            }

            // Java's send() blocks while its buffer is full; librdkafka would throw QueueFull instead,
            // so wait for deliveries to make room first (the wait counts in the latency, as in Java).
            // A slot can also still be busy when reports come back out of send order (partitions).
            ProducerPerformanceSendSlot slot = slots[i % slots.Length] ??= new ProducerPerformanceSendSlot(_onDelivery);
            while ((slot.Busy || i - Volatile.Read(ref _completed) >= queueLimit) && !cancellationToken.IsCancellationRequested)
            {
                Thread.Sleep(1);
            }

            slot.Take(sendStartMs, message.Value.Length, steadyState: _warmupRecords > 0 && i >= _warmupRecords);
            Send(producer, topic, message, slot, cancellationToken);
            Volatile.Write(ref _sent, i + 1);
            if (throttler.ShouldThrottle(i, sendStartMs))
            {
                throttler.Throttle(cancellationToken);
            }
        }

        return true;
    }

    private void Send(IProducer<Null, byte[]> producer, string topic, Message<Null, byte[]> message,
        ProducerPerformanceSendSlot slot, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, slot.Handler);
                return;
            }
            catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull && !cancellationToken.IsCancellationRequested)
            {
                // Only when queue.buffering.max.kbytes fills before the message count does.
                Thread.Sleep(1);
            }
            catch (ProduceException<Null, byte[]> e)
            {
                // Refused before sending (a record too large, say): reported like a failed delivery.
                _output.WriteError(KafkaErrorText.ExceptionLine(e.Error));
                slot.Release();
                Interlocked.Increment(ref _completed);
                return;
            }
        }
    }

    /// <summary>
    /// Runs on the client's poll thread, and during Flush also on the flushing thread (librdkafka
    /// serves reports from both), hence the lock; uncontended, it costs nanoseconds per record.
    /// </summary>
    private void OnDelivery(ProducerPerformanceSendSlot slot, DeliveryReport<Null, byte[]> report)
    {
        long now = NowMs();
        if (report.Error.IsError)
        {
            // Kafka prints the exception of every failed send and leaves it out of the figures.
            _output.WriteError(KafkaErrorText.ExceptionLine(report.Error));
        }
        else
        {
            lock (_statsLock)
            {
                _stats.Record((int)(now - slot.SendStartMs), slot.Bytes, now);
                if (slot.SteadyState)
                {
                    _steadyStats!.Record((int)(now - slot.SendStartMs), slot.Bytes, now);
                }
            }
        }

        slot.Release();
        Interlocked.Increment(ref _completed);
    }

    /// <summary>Waits for every delivery report; after a stop, only briefly.</summary>
    private static void Flush(IProducer<Null, byte[]> producer, bool finished, CancellationToken cancellationToken)
    {
        if (!finished)
        {
            producer.Flush(StopFlushTimeout);
            return;
        }

        while (producer.Flush(TimeSpan.FromMilliseconds(200)) > 0)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                producer.Flush(StopFlushTimeout);
                return;
            }
        }
    }

    /// <summary>The live status line (terminal only).</summary>
    private string Status()
    {
        long sent = Volatile.Read(ref _sent);
        long acknowledged = _stats.Count;
        double seconds = Math.Max(0.001, (NowMs() - _startMs) / 1000.0);
        return string.Create(CultureInfo.InvariantCulture,
            $"{sent} sent, {acknowledged} acknowledged ({100.0 * acknowledged / _numRecords:F1}%), {acknowledged / seconds:F0} records/sec");
    }

    /// <summary>
    /// Kafka's readProps: the file, then each key=value of --producer-props (exactly one '='),
    /// then client.id perf-producer-client unless set. bootstrap.servers must come from one of them.
    /// </summary>
    private static Dictionary<string, string> BuildProperties(ProducerPerformanceArguments arguments)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (arguments.ProducerConfigFile is string file)
        {
            foreach ((string key, string value) in ClientProperties.LoadFile(file))
            {
                properties[key] = value;
            }
        }

        foreach (string prop in arguments.ProducerProps ?? [])
        {
            string[] pieces = prop.Split('=');
            if (pieces.Length != 2)
            {
                throw new UsageException($"Exception in thread \"main\" java.lang.IllegalArgumentException: Invalid property: {prop}");
            }

            properties[pieces[0]] = pieces[1];
        }

        properties.TryAdd("client.id", "perf-producer-client");
        if (IsMock(properties))
        {
            properties.TryAdd("bootstrap.servers", "mock");
        }
        else if (!properties.TryGetValue("bootstrap.servers", out string? servers) || servers.Trim().Length == 0)
        {
            throw new UsageException("Exception in thread \"main\" org.apache.kafka.common.config.ConfigException: Missing required configuration \"bootstrap.servers\" which has no default value.");
        }

        string acks = properties.TryGetValue("acks", out string? given) ? given.Trim() : "all";
        if (acks is "all" or "-1")
        {
            properties.TryAdd("enable.idempotence", "true");
        }

        // The report is only read for its error; the send slot knows the rest. Other fields
        // (headers above all) would be marshalled and allocated per record.
        properties.TryAdd("dotnet.producer.delivery.report.fields", "none");
        return properties;
    }

    /// <summary>
    /// librdkafka's in-process mock cluster (test.mock.num.brokers=N) needs no bootstrap server:
    /// the benchmarks measure the client's own ceiling with it.
    /// </summary>
    internal static bool IsMock(IReadOnlyDictionary<string, string> properties) =>
        properties.TryGetValue("test.mock.num.brokers", out string? brokers) && brokers.Trim() is { Length: > 0 } and not "0";

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
