using System.Text;
using Confluent.Kafka;
using Samsa.Cli.Clients;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// kafka-console-producer.sh: reads lines from stdin and sends each as a record, with Kafka's flags
/// and defaults (acks=1, linger 1000 ms, 3 retries). The `>` prompt appears only when stdin is a
/// terminal. At EOF it flushes and exits 0; send failures are logged on stderr as Kafka's
/// ErrorLoggingCallback logs them and do not stop the producer.
/// </summary>
internal sealed class ConsoleProducer
{
    private const string CallbackLogger = "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback";
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromMilliseconds(120_000);
    private static readonly string[] Codecs = ["none", "gzip", "snappy", "lz4", "zstd"];
    private static readonly string[] AcksValues = ["all", "-1", "0", "1"];

    private readonly OptionParser _parser = new();

    private ConsoleProducer()
    {
        _parser.AcceptValue("batch-size", "Number of messages to send in a single batch if they are not being sent synchronously.", "size", "Integer", "200");
        _parser.AcceptValue("bootstrap-server", "REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to. The broker list string in the form HOST1:PORT1,HOST2:PORT2.", "server to connect to");
        _parser.AcceptValue("broker-list", "DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.  The broker list string in the form HOST1:PORT1,HOST2:PORT2.", "broker-list");
        _parser.AcceptOptionalValue("compression-codec", "The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'.If specified without value, then it defaults to 'gzip'", "compression-codec");
        _parser.AcceptValue("line-reader", "The class name of the class to use for reading lines from standard in. By default each line is read as a separate message.", "reader_class", "String", "kafka.tools.ConsoleProducer$LineMessageReader");
        _parser.AcceptValue("max-block-ms", "The max time that the producer will block for during a send request", "max block on send", "Long", "60000");
        _parser.AcceptValue("max-memory-bytes", "The total memory used by the producer to buffer records waiting to be sent to the server.", "total memory in bytes", "Long", "33554432");
        _parser.AcceptValue("max-partition-memory-bytes", "The buffer size allocated for a partition. When records are received which are smaller than this size the producer will attempt to optimistically group them together until this size is reached.", "memory in bytes per partition", "Long", "16384");
        _parser.AcceptValue("message-send-max-retries", "Brokers can fail receiving the message for multiple reasons, and being unavailable transiently is just one of them. This property specifies the number of retries before the producer give up and drop this message.", "Integer", "Integer", "3");
        _parser.AcceptValue("metadata-expiry-ms", "The period of time in milliseconds after which we force a refresh of metadata even if we haven't seen any leadership changes.", "metadata expiration interval", "Long", "300000");
        _parser.AcceptValue("producer-property", "A mechanism to pass user-defined properties in the form key=value to the producer. ", "producer_prop");
        _parser.AcceptValue("producer.config", "Producer config properties file. Note that [producer-property] takes precedence over this config.", "config file");
        _parser.AcceptValue("property", "A mechanism to pass user-defined properties in the form key=value to the message reader. This allows custom configuration for a user-defined message reader. Default properties include:\n parse.key=false\n parse.headers=false\n ignore.error=false\n key.separator=\\t\n headers.delimiter=\\t\n headers.separator=,\n headers.key.separator=:\n null.marker=   When set, any fields (key, value and headers) equal to this will be replaced by null", "prop");
        _parser.AcceptValue("request-required-acks", "The required acks of the producer requests", "request required acks", "String", "1");
        _parser.AcceptValue("request-timeout-ms", "The ack timeout of the producer requests. Value must be non-negative and non-zero", "request timeout ms", "Integer", "1500");
        _parser.AcceptValue("retry-backoff-ms", "Before each retry, the producer refreshes the metadata of relevant topics. Since leader election takes a bit of time, this property specifies the amount of time that the producer waits before refreshing the metadata.", "Long", "Long", "100");
        _parser.AcceptValue("socket-buffer-size", "The size of the tcp RECV size.", "size", "Integer", "102400");
        _parser.Accept("sync", "If set message send requests to the brokers are synchronously, one at a time as they arrive.");
        _parser.AcceptValue("timeout", "If set and the producer is running in asynchronous mode, this gives the maximum amount of time a message will queue awaiting sufficient batch size. The value is given in ms.", "timeout_ms", "Integer", "1000");
        _parser.AcceptValue("topic", "REQUIRED: The topic id to produce messages to.", "topic");
    }

    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        new ConsoleProducer().ExecuteAsync(args, cancellationToken);

    private async Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        ParsedOptions options = _parser.Parse(args);
        if (args.Length == 0 || options.Has("help"))
        {
            throw _parser.Die("This tool helps to read data from standard input and publish it to Kafka.");
        }

        _parser.Require(options, "topic");
        string bootstrap = options.Value("bootstrap-server") ?? options.Value("broker-list")
            ?? throw _parser.Die("Missing required argument \"[bootstrap-server]\"");
        string topic = options.Value("topic")!;

        var readerProperties = new Dictionary<string, string>(StringComparer.Ordinal);
        ClientProperties.AddPairs(readerProperties, options.Values("property"));
        LineMessageReader reader;
        try
        {
            reader = new LineMessageReader(readerProperties);
        }
        catch (LineFormatException e)
        {
            throw new UsageException(e.Message);
        }

        ProducerConfig config = BuildConfig(options, bootstrap, out bool sync);
        BootstrapProbe probe = await BootstrapProbe.RunAsync(bootstrap, cancellationToken).ConfigureAwait(false);
        if (!probe.Reachable)
        {
            ToolLog.Write("WARN", probe.UnreachableMessage("Producer clientId=" + config.ClientId), "org.apache.kafka.clients.NetworkClient");
            return 1;
        }

        IProducer<byte[]?, byte[]?> producer;
        try
        {
            producer = new ProducerBuilder<byte[]?, byte[]?>(config)
                .SetLogHandler(static (_, _) => { })
                .SetErrorHandler(static (_, _) => { })
                .Build();
        }
        catch (Exception e) when (e is ArgumentException or KafkaException or InvalidOperationException)
        {
            throw new UsageException(e.Message);
        }

        using (producer)
        {
            // Kafka's shutdown hook closes the producer, which sends what is queued, before the JVM exits.
            using CancellationTokenRegistration onStop = cancellationToken.Register(() =>
            {
                producer.Flush(DeliveryTimeout);
                Console.Out.Flush();
                Environment.Exit(Shutdown.ExitCode);
            });

            long maxBlockMs = options.Int64("max-block-ms") ?? 60_000;
            bool interactive = !Console.IsInputRedirected;
            using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            while (true)
            {
                if (interactive)
                {
                    Console.Out.Write('>');
                    Console.Out.Flush();
                }

                string? line = await input.ReadLineAsync(CancellationToken.None).ConfigureAwait(false);
                if (line is null)
                {
                    break;
                }

                Message<byte[]?, byte[]?> message;
                try
                {
                    message = reader.Read(line);
                }
                catch (LineFormatException e)
                {
                    producer.Flush(DeliveryTimeout);
                    Console.Error.WriteLine($"Exception in thread \"main\" org.apache.kafka.common.KafkaException: {e.Message}");
                    return 1;
                }

                if (sync)
                {
                    try
                    {
                        await producer.ProduceAsync(topic, message, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (ProduceException<byte[]?, byte[]?> e)
                    {
                        LogSendError(topic, message, e.Error);
                    }
                }
                else
                {
                    await SendAsync(producer, topic, message, maxBlockMs).ConfigureAwait(false);
                }
            }

            producer.Flush(DeliveryTimeout);
        }

        return 0;
    }

    /// <summary>
    /// Queues one record. librdkafka refuses with QueueFull where the Java producer blocks up to
    /// max.block.ms for buffer space; this waits the same way, polling deliveries meanwhile.
    /// </summary>
    private static async Task SendAsync(IProducer<byte[]?, byte[]?> producer, string topic, Message<byte[]?, byte[]?> message, long maxBlockMs)
    {
        long deadline = Environment.TickCount64 + maxBlockMs;
        while (true)
        {
            try
            {
                producer.Produce(topic, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        LogSendError(topic, report.Message, report.Error);
                    }
                });
                return;
            }
            catch (ProduceException<byte[]?, byte[]?> e) when (e.Error.Code == ErrorCode.Local_QueueFull && Environment.TickCount64 < deadline)
            {
                producer.Poll(TimeSpan.FromMilliseconds(100));
                await Task.Yield();
            }
            catch (ProduceException<byte[]?, byte[]?> e)
            {
                LogSendError(topic, message, e.Error);
                return;
            }
        }
    }

    /// <summary>Kafka's ErrorLoggingCallback: the log line, then the exception's first line.</summary>
    private static void LogSendError(string topic, Message<byte[]?, byte[]?> message, Error error)
    {
        string key = message.Key is null ? "null" : $"{message.Key.Length} bytes";
        string value = message.Value is null ? "null" : $"{message.Value.Length} bytes";
        ToolLog.Write("ERROR", $"Error when sending message to topic {topic} with key: {key}, value: {value} with error:", CallbackLogger);
        Console.Error.WriteLine(KafkaErrorText.ExceptionLine(error));
    }

    /// <summary>
    /// The producer settings in Kafka's order: --producer.config, then --producer-property, then the
    /// tool's own flags (each applied when given, or when the files did not set that key).
    /// </summary>
    private static ProducerConfig BuildConfig(ParsedOptions options, string bootstrap, out bool sync)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.Value("producer.config") is string file)
        {
            foreach ((string key, string value) in ClientProperties.LoadFile(file))
            {
                properties[key] = value;
            }
        }

        ClientProperties.AddPairs(properties, options.Values("producer-property"));
        properties["bootstrap.servers"] = bootstrap;

        string codec = "none";
        if (options.Has("compression-codec"))
        {
            codec = options.Value("compression-codec") is { Length: > 0 } given ? given : "gzip";
        }

        if (Array.IndexOf(Codecs, codec) < 0)
        {
            throw new UsageException($"Invalid value {codec} for configuration compression.type: String must be one of: none, gzip, snappy, lz4, zstd");
        }

        properties["compression.type"] = codec;
        properties.TryAdd("client.id", "console-producer");
        Merge(properties, "linger.ms", options, "timeout", "1000");
        Merge(properties, "batch.size", options, "batch-size", "200");
        Merge(properties, "acks", options, "request-required-acks", "1");
        Merge(properties, "request.timeout.ms", options, "request-timeout-ms", "1500");
        Merge(properties, "retries", options, "message-send-max-retries", "3");
        Merge(properties, "retry.backoff.ms", options, "retry-backoff-ms", "100");
        Merge(properties, "topic.metadata.refresh.interval.ms", options, "metadata-expiry-ms", "300000");
        properties.TryAdd("message.timeout.ms", ((long)DeliveryTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Array.IndexOf(AcksValues, properties["acks"].Trim()) < 0)
        {
            throw new UsageException($"Invalid value {properties["acks"]} for configuration acks: String must be one of: all, -1, 0, 1");
        }

        // The Java producer (Kafka 3.x) is idempotent by default whenever acks=all: a retry after a
        // timed-out request (a leader moving, say) must not write the line twice.
        if (properties["acks"].Trim() is "all" or "-1")
        {
            properties.TryAdd("enable.idempotence", "true");
        }

        foreach (string numeric in (string[])["linger.ms", "batch.size", "request.timeout.ms", "retries", "retry.backoff.ms", "topic.metadata.refresh.interval.ms"])
        {
            if (!long.TryParse(properties[numeric], System.Globalization.CultureInfo.InvariantCulture, out long value) || value < 0)
            {
                throw new UsageException($"Invalid value {properties[numeric]} for configuration {numeric}: Not a number of type INT");
            }
        }

        // librdkafka refuses a batch smaller than one record; the Java producer sends such a record alone.
        if (long.Parse(properties["batch.size"], System.Globalization.CultureInfo.InvariantCulture) < 1)
        {
            properties["batch.size"] = "1";
        }

        var config = new ProducerConfig();
        KafkaClients.Apply(config, properties);
        sync = options.Has("sync");
        return config;
    }

    /// <summary>Kafka's CommandLineUtils.maybeMergeOptions.</summary>
    private static void Merge(Dictionary<string, string> properties, string key, ParsedOptions options, string option, string defaultValue)
    {
        if (options.Value(option) is string given)
        {
            properties[key] = given;
        }
        else
        {
            properties.TryAdd(key, defaultValue);
        }
    }
}
