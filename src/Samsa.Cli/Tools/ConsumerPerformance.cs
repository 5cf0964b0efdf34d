using System.Globalization;
using Confluent.Kafka;
using Samsa.Cli.Clients;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// kafka-consumer-perf-test.sh: consumes --messages records of --topic in a consumer group
/// (perf-consumer-NNNNN unless --group) from the earliest offset (or --from-latest) and prints
/// Kafka's ConsumerPerformance lines: the CSV-like header, then one summary line, or with
/// --show-detailed-stats one line per --reporting-interval. It stops after --messages records,
/// or when no record came for --timeout ms (with Kafka's warning). MB means 1024 * 1024 bytes of
/// keys and values; rebalance.time.ms is the time until the group assigned partitions and
/// fetch.time.ms the rest.
/// </summary>
internal sealed class ConsumerPerformance : IDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);

    private readonly OptionParser _parser = new();
    private readonly HashSet<TopicPartition> _assigned = [];
    private PerfTestProgress? _output;
    private long _numMessages;
    private long _startMs;
    private long _messagesRead;
    private long _joinStartMs;
    private long _joinTimeMs;
    private long _joinTimeMsInRound;

    private ConsumerPerformance()
    {
        _parser.AcceptValue("bootstrap-server", "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.", "server to connect to");
        _parser.AcceptValue("broker-list", "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified. The broker list string in the form HOST1:PORT1,HOST2:PORT2.", "broker-list");
        _parser.AcceptValue("consumer.config", "Consumer config properties file.", "config file");
        _parser.AcceptValue("date-format", "The date format to use for formatting the time field. See java.text.SimpleDateFormat for options.", "date format", "String", "yyyy-MM-dd HH:mm:ss:SSS");
        _parser.AcceptValue("fetch-size", "The amount of data to fetch in a single request.", "size", "Integer", "1048576");
        _parser.Accept("from-latest", "If the consumer does not already have an established offset to consume from, start with the latest message present in the log rather than the earliest message.");
        _parser.AcceptValue("group", "The group id to consume on.", "gid", "String", "perf-consumer-NNNNN");
        _parser.Accept("hide-header", "If set, skips printing the header for the stats");
        _parser.AcceptValue("messages", "REQUIRED: The number of messages to send or consume", "count", "Long");
        _parser.Accept("print-metrics", "Print out the metrics.");
        _parser.AcceptValue("reporting-interval", "Interval in milliseconds at which to print progress info.", "interval_ms", "Long", "5000");
        _parser.Accept("show-detailed-stats", "If set, stats are reported for each reporting interval as configured by reporting-interval");
        _parser.AcceptValue("socket-buffer-size", "The size of the tcp RECV size.", "size", "Integer", "2097152");
        _parser.AcceptOptionalValue("timeout", "The maximum allowed time in milliseconds between returned records. (default: 10000)", "milliseconds");
        _parser.AcceptValue("topic", "REQUIRED: The topic to consume from.", "topic");
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        using var tool = new ConsumerPerformance();
        return await tool.ExecuteAsync(args, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _output?.Dispose();

    private async Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        ParsedOptions options = _parser.Parse(args);
        if (args.Length == 0 || options.Has("help"))
        {
            throw _parser.Die("This tool is used to verify the consumer performance.");
        }

        _parser.Require(options, "topic", "messages");
        string bootstrap = options.Value("bootstrap-server") ?? options.Value("broker-list")
            ?? throw _parser.Die("Missing required argument \"[bootstrap-server]\"");
        string topic = options.Value("topic")!;
        _numMessages = options.Int64("messages")!.Value;
        long timeoutMs = options.Int64("timeout") ?? 10_000;
        string interval = options.Value("reporting-interval") ?? "5000";
        // Kafka checks the value against ^\d+$: digits only, no sign.
        if (!long.TryParse(interval, NumberStyles.None, CultureInfo.InvariantCulture, out long reportingIntervalMs))
        {
            throw _parser.Die($"Cannot parse argument '{interval}' of option reporting-interval");
        }

        if (reportingIntervalMs <= 0)
        {
            throw new UsageException("Reporting interval must be greater than 0.");
        }

        bool detailed = options.Has("show-detailed-stats");
        var dateFormat = new ConsumerPerformanceDateFormat(options.Value("date-format") ?? "yyyy-MM-dd HH:mm:ss:SSS");
        Dictionary<string, string> properties = BuildProperties(options, bootstrap);
        BootstrapProbe probe = await BootstrapProbe.RunAsync(bootstrap, cancellationToken).ConfigureAwait(false);
        if (!probe.Reachable)
        {
            ToolLog.Write("WARN", probe.UnreachableMessage($"Consumer clientId={properties["client.id"]}, groupId={properties["group.id"]}"), "org.apache.kafka.clients.NetworkClient");
            return 1;
        }

        _output = new PerfTestProgress(Status);
        if (!options.Has("hide-header"))
        {
            _output.WriteLine("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
                .Replace("start.time, end.time", detailed ? "time, threadId" : "start.time, end.time", StringComparison.Ordinal));
        }

        var config = new ConsumerConfig();
        KafkaClients.Apply(config, properties);
        PerfTestMetrics? metrics = options.Has("print-metrics") ? new PerfTestMetrics() : null;
        if (metrics is not null)
        {
            config.StatisticsIntervalMs = PerfTestMetrics.StatisticsIntervalMs;
        }

        IConsumer<int, int> consumer;
        try
        {
            var builder = new ConsumerBuilder<int, int>(config)
                .SetKeyDeserializer(ConsumerPerformanceLengthDeserializer.Instance)
                .SetValueDeserializer(ConsumerPerformanceLengthDeserializer.Instance)
                .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
                .SetLogHandler(static (_, _) => { })
                .SetErrorHandler(static (_, _) => { });
            if (metrics is not null)
            {
                builder.SetStatisticsHandler((_, json) => metrics.OnStatistics(json));
            }

            consumer = builder.Build();
        }
        catch (Exception e) when (e is ArgumentException or KafkaException or InvalidOperationException)
        {
            throw new UsageException(e.Message);
        }

        long bytesRead;
        long endMs;
        using (consumer)
        {
            _startMs = NowMs();
            _joinStartMs = _startMs;
            consumer.Subscribe(topic);
            bytesRead = Consume(consumer, timeoutMs, reportingIntervalMs, detailed, dateFormat, cancellationToken);
            endMs = NowMs();
            metrics?.WaitForFresh(cancellationToken);
            consumer.Close(); // commits the offsets and leaves the group, as Kafka's close does
        }

        if (!detailed)
        {
            double elapsedSec = (endMs - _startMs) / 1000.0;
            long fetchTimeMs = endMs - _startMs - _joinTimeMs;
            double totalMb = bytesRead / (1024.0 * 1024.0);
            _output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{dateFormat.Format(_startMs)}, {dateFormat.Format(endMs)}, {totalMb:F4}, {totalMb / elapsedSec:F4}, {_messagesRead}, {_messagesRead / elapsedSec:F4}, {_joinTimeMs}, {fetchTimeMs}, {totalMb / (fetchTimeMs / 1000.0):F4}, {_messagesRead / (fetchTimeMs / 1000.0):F4}"));
        }

        _output.Dispose();
        metrics?.Print(Console.Out, "consumer");
        return cancellationToken.IsCancellationRequested ? Shutdown.ExitCode : 0;
    }

    /// <summary>The poll loop; returns the bytes of keys and values read.</summary>
    private long Consume(IConsumer<int, int> consumer, long timeoutMs, long reportingIntervalMs, bool detailed,
        ConsumerPerformanceDateFormat dateFormat, CancellationToken cancellationToken)
    {
        long bytesRead = 0;
        long lastBytesRead = 0;
        long lastMessagesRead = 0;
        long currentTimeMs = NowMs();
        long lastReportTimeMs = currentTimeMs;
        long lastConsumedTimeMs = currentTimeMs;
        while (_messagesRead < _numMessages && currentTimeMs - lastConsumedTimeMs <= timeoutMs && !cancellationToken.IsCancellationRequested)
        {
            ConsumeResult<int, int>? record;
            try
            {
                record = consumer.Consume(PollTimeout);
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                // A topic not there yet, a partition moving: the Java consumer retries quietly too.
                record = null;
            }

            currentTimeMs = NowMs();
            if (record is null)
            {
                continue;
            }

            lastConsumedTimeMs = currentTimeMs;
            Volatile.Write(ref _messagesRead, _messagesRead + 1);
            bytesRead += record.Message.Key + record.Message.Value;
            if (currentTimeMs - lastReportTimeMs >= reportingIntervalMs)
            {
                if (detailed)
                {
                    PrintProgress(bytesRead, lastBytesRead, lastMessagesRead, lastReportTimeMs, currentTimeMs, dateFormat);
                }

                _joinTimeMsInRound = 0;
                lastReportTimeMs = currentTimeMs;
                lastMessagesRead = _messagesRead;
                lastBytesRead = bytesRead;
            }
        }

        if (_messagesRead < _numMessages && !cancellationToken.IsCancellationRequested)
        {
            _output!.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"WARNING: Exiting before consuming the expected number of messages: timeout ({timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout."));
        }

        return bytesRead;
    }

    /// <summary>One --show-detailed-stats line: totals so far, and rates over the last interval.</summary>
    private void PrintProgress(long bytesRead, long lastBytesRead, long lastMessagesRead, long startMs, long endMs, ConsumerPerformanceDateFormat dateFormat)
    {
        double elapsedMs = endMs - startMs;
        double totalMb = bytesRead / (1024.0 * 1024.0);
        double intervalMb = (bytesRead - lastBytesRead) / (1024.0 * 1024.0);
        double intervalMbPerSec = 1000.0 * intervalMb / elapsedMs;
        double intervalMessagesPerSec = (_messagesRead - lastMessagesRead) / elapsedMs * 1000.0;
        long fetchTimeMs = endMs - startMs - _joinTimeMsInRound;
        double fetchMbPerSec = fetchTimeMs <= 0 ? 0.0 : 1000.0 * intervalMb / fetchTimeMs;
        double fetchMessagesPerSec = fetchTimeMs <= 0 ? 0.0 : 1000.0 * (_messagesRead - lastMessagesRead) / fetchTimeMs;
        _output!.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{dateFormat.Format(endMs)}, 0, {totalMb:F4}, {intervalMbPerSec:F4}, {_messagesRead}, {intervalMessagesPerSec:F4}, {_joinTimeMsInRound}, {fetchTimeMs}, {fetchMbPerSec:F4}, {fetchMessagesPerSec:F4}"));
    }

    /// <summary>Kafka's ConsumerPerfRebListener: the time from (re)joining until the first partitions arrive.</summary>
    private void OnAssigned(List<TopicPartition> partitions)
    {
        if (_assigned.Count == 0)
        {
            long elapsed = NowMs() - _joinStartMs;
            _joinTimeMs += elapsed;
            _joinTimeMsInRound += elapsed;
        }

        _assigned.UnionWith(partitions);
    }

    private void OnRevoked(List<TopicPartitionOffset> partitions)
    {
        foreach (TopicPartitionOffset partition in partitions)
        {
            _assigned.Remove(partition.TopicPartition);
        }

        if (_assigned.Count == 0)
        {
            _joinStartMs = NowMs();
        }
    }

    private string Status()
    {
        long read = Volatile.Read(ref _messagesRead);
        double seconds = Math.Max(0.001, (NowMs() - _startMs) / 1000.0);
        return string.Create(CultureInfo.InvariantCulture,
            $"{read} records consumed ({100.0 * read / Math.Max(1, _numMessages):F1}%), {read / seconds:F0} records/sec");
    }

    /// <summary>
    /// Kafka's ConsumerPerfOptions.props: the --consumer.config file, then the tool's own settings
    /// on top (group, fetch size, socket buffer, offset reset), client.id perf-consumer-client unless set.
    /// </summary>
    private static Dictionary<string, string> BuildProperties(ParsedOptions options, string bootstrap)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.Value("consumer.config") is string file)
        {
            foreach ((string key, string value) in ClientProperties.LoadFile(file))
            {
                properties[key] = value;
            }
        }

        int fetchSize = options.Int32("fetch-size") ?? 1024 * 1024;
        int socketBuffer = options.Int32("socket-buffer-size") ?? 2 * 1024 * 1024;
        properties["bootstrap.servers"] = bootstrap;
        properties["group.id"] = options.Value("group")
            ?? "perf-consumer-" + Random.Shared.Next(100_000).ToString(CultureInfo.InvariantCulture);
        properties.Remove("receive.buffer.bytes"); // the Java name; librdkafka's is below
        properties["socket.receive.buffer.bytes"] = socketBuffer.ToString(CultureInfo.InvariantCulture);
        properties["max.partition.fetch.bytes"] = fetchSize.ToString(CultureInfo.InvariantCulture);
        properties["auto.offset.reset"] = options.Has("from-latest") ? "latest" : "earliest";
        properties["check.crcs"] = "false";
        properties.TryAdd("client.id", "perf-consumer-client");
        // Only counts are needed: skip the topic name, timestamp and headers Confluent.Kafka would marshal per record.
        properties.TryAdd("dotnet.consumer.consume.result.fields", "none");
        return properties;
    }

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
