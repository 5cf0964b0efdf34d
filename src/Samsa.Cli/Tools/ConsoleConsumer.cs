using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Samsa.Cli.Clients;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// kafka-console-consumer.sh: prints records of a topic to stdout through <see cref="MessageFormatter"/>
/// until --max-messages, --timeout-ms or a signal, then "Processed a total of N messages" on stderr.
/// Without --group it uses a throwaway group console-consumer-NNNNN with auto-commit off, as Kafka
/// does; with --group, offsets are committed (auto-commit, and once more on close).
/// </summary>
internal sealed class ConsoleConsumer
{
    private const short FindCoordinatorKey = 10;

    private readonly OptionParser _parser = new();

    private ConsoleConsumer()
    {
        _parser.AcceptValue("bootstrap-server", "REQUIRED: The server(s) to connect to.", "server to connect to");
        _parser.AcceptValue("consumer-property", "A mechanism to pass user-defined properties in the form key=value to the consumer.", "consumer_prop");
        _parser.AcceptValue("consumer.config", "Consumer config properties file. Note that [consumer-property] takes precedence over this config.", "config file");
        _parser.Accept("enable-systest-events", "Log lifecycle events of the consumer in addition to logging consumed messages. (This is specific for system tests.)");
        _parser.AcceptValue("formatter", "The name of a class to use for formatting kafka messages for display.", "class", "String", "kafka.tools.DefaultMessageFormatter");
        _parser.Accept("from-beginning", "If the consumer does not already have an established offset to consume from, start with the earliest message present in the log rather than the latest message.");
        _parser.AcceptValue("group", "The consumer group id of the consumer.", "consumer group id");
        _parser.AcceptValue("include", "Regular expression specifying list of topics to include for consumption.", "Java regex (String)");
        _parser.AcceptValue("isolation-level", "Set to read_committed in order to filter out transactional messages which are not committed. Set to read_uncommitted to read all messages.", "String", "String", "read_uncommitted");
        _parser.AcceptValue("key-deserializer", "", "deserializer for key");
        _parser.AcceptValue("max-messages", "The maximum number of messages to consume before exiting. If not set, consumption is continual.", "num_messages", "Integer");
        _parser.AcceptValue("offset", "The offset to consume from (a non-negative number), or 'earliest' which means from beginning, or 'latest' which means from end", "consume offset", "String", "latest");
        _parser.AcceptValue("partition", "The partition to consume from. Consumption starts from the end of the partition unless '--offset' is specified.", "partition", "Integer");
        _parser.AcceptValue("property", "The properties to initialize the message formatter. Default properties include:\n print.timestamp=true|false\n print.key=true|false\n print.offset=true|false\n print.partition=true|false\n print.headers=true|false\n print.value=true|false\n key.separator=<key.separator>\n line.separator=<line.separator>\n headers.separator=<line.separator>\n null.literal=<null.literal>", "prop");
        _parser.Accept("skip-message-on-error", "If there is an error when processing a message, skip it instead of halt.");
        _parser.AcceptValue("timeout-ms", "If specified, exit if no message is available for consumption for the specified interval.", "timeout_ms", "Integer");
        _parser.AcceptValue("topic", "The topic to consume on.", "topic");
        _parser.AcceptValue("value-deserializer", "", "deserializer for values");
        _parser.AcceptValue("whitelist", "DEPRECATED, use --include instead; ignored if --include specified. Regular expression specifying list of topics to include for consumption.", "Java regex (String)");
    }

    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        new ConsoleConsumer().ExecuteAsync(args, cancellationToken);

    private async Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        ParsedOptions options = _parser.Parse(args);
        if (args.Length == 0 || options.Has("help"))
        {
            throw _parser.Die("This tool helps to read data from Kafka topics and outputs it to standard output.");
        }

        _parser.Require(options, "bootstrap-server");
        string? topic = options.Value("topic");
        string? include = options.Value("include") ?? options.Value("whitelist");
        if ((topic is null) == (include is null))
        {
            throw _parser.Die("Exactly one of include/topic is required.");
        }

        int? partition = options.Int32("partition");
        bool fromBeginning = options.Has("from-beginning");
        if (partition is not null)
        {
            if (topic is null)
            {
                throw _parser.Die("The topic is required when partition is specified.");
            }

            if (fromBeginning && options.Has("offset"))
            {
                throw _parser.Die("Options from-beginning and offset cannot be specified together.");
            }
        }
        else if (options.Has("offset"))
        {
            throw _parser.Die("The partition is required when offset is specified.");
        }

        Offset startOffset = fromBeginning ? Offset.Beginning : Offset.End;
        if (options.Value("offset") is string offsetText)
        {
            startOffset = offsetText.ToLowerInvariant() switch
            {
                "earliest" => Offset.Beginning,
                "latest" => Offset.End,
                _ => long.TryParse(offsetText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) && n >= 0
                    ? new Offset(n)
                    : throw _parser.Die($"The provided offset value '{offsetText}' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."),
            };
        }

        string isolation = options.Value("isolation-level") ?? "read_uncommitted";
        if (isolation is not ("read_committed" or "read_uncommitted"))
        {
            throw new UsageException($"Invalid value {isolation} for configuration isolation.level: String must be one of: read_committed, read_uncommitted");
        }

        int? maxMessages = options.Int32("max-messages");
        int? timeoutMs = options.Int32("timeout-ms");
        string? formatterClass = options.Value("formatter");
        if (formatterClass is not null && formatterClass != "kafka.tools.DefaultMessageFormatter" && formatterClass != "org.apache.kafka.tools.consumer.DefaultMessageFormatter")
        {
            throw new UsageException($"java.lang.ClassNotFoundException: {formatterClass}");
        }

        var formatterProperties = new Dictionary<string, string>(StringComparer.Ordinal);
        ClientProperties.AddPairs(formatterProperties, options.Values("property"));
        var formatter = new MessageFormatter(formatterProperties);

        string bootstrap = options.Value("bootstrap-server")!;
        (ConsumerConfig config, bool groupGiven) = BuildConfig(options, bootstrap, fromBeginning, isolation, partition is not null);

        BootstrapProbe probe = await BootstrapProbe.RunAsync(bootstrap, cancellationToken).ConfigureAwait(false);
        string clientText = $"Consumer clientId={config.ClientId}, groupId={config.GroupId}";
        if (!probe.Reachable)
        {
            ToolLog.Write("WARN", probe.UnreachableMessage(clientText), "org.apache.kafka.clients.NetworkClient");
            return 1;
        }

        IConsumer<byte[]?, byte[]?> consumer;
        try
        {
            consumer = new ConsumerBuilder<byte[]?, byte[]?>(config)
                .SetLogHandler(static (_, _) => { })
                .SetErrorHandler(static (_, _) => { })
                .Build();
        }
        catch (Exception e) when (e is ArgumentException or KafkaException or InvalidOperationException)
        {
            throw new UsageException(e.Message);
        }

        int processed = 0;
        bool stoppedBySignal = false;
        using (consumer)
        {
            List<string>? topics = ResolveTopics(consumer, topic, include, clientText);
            if (topics is null)
            {
                consumer.Close();
                return 1;
            }

            if (partition is int p)
            {
                consumer.Assign(new TopicPartitionOffset(topic!, p, startOffset));
            }
            else if (probe.Supports(FindCoordinatorKey))
            {
                if (include is not null)
                {
                    // librdkafka subscribes to a regex when the name starts with '^'.
                    consumer.Subscribe("^(?:" + include.Replace(',', '|') + ")$");
                }
                else
                {
                    consumer.Subscribe(topic!);
                }
            }
            else
            {
                // This broker has no consumer groups (FindCoordinator is not in its ApiVersions), so a
                // subscription could never join: assign every partition of the topics directly,
                // starting where auto.offset.reset would have, and commit nothing.
                consumer.Assign(AllPartitions(consumer, topics, startOffset));
                groupGiven = false;
            }

            using Stream output = Console.OpenStandardOutput();
            try
            {
                processed = Consume(consumer, formatter, output, maxMessages, timeoutMs, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                stoppedBySignal = true;
            }

            output.Flush();
            try
            {
                // Close leaves the group and, with auto-commit on, commits what was consumed.
                if (groupGiven && config.EnableAutoCommit != false)
                {
                    consumer.Commit();
                }
            }
            catch (KafkaException)
            {
                // Nothing consumed yet, or the group is gone: there is no position to keep.
            }

            consumer.Close();
        }

        Console.Error.WriteLine($"Processed a total of {processed} messages");
        return stoppedBySignal ? Shutdown.ExitCode : 0;
    }

    private static int Consume(IConsumer<byte[]?, byte[]?> consumer, MessageFormatter formatter, Stream output, int? maxMessages, int? timeoutMs, CancellationToken cancellationToken)
    {
        int processed = 0;
        long lastRecord = Environment.TickCount64;
        TimeSpan poll = TimeSpan.FromMilliseconds(100);
        while (maxMessages is null || processed < maxMessages)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ConsumeResult<byte[]?, byte[]?>? record;
            try
            {
                record = consumer.Consume(poll);
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                // Kafka's consumer logs these as warnings and keeps polling.
                record = null;
            }

            if (record is null || record.IsPartitionEOF)
            {
                if (timeoutMs is int limit && Environment.TickCount64 - lastRecord >= limit)
                {
                    output.Flush();
                    ToolLog.Write("ERROR", "Error processing message, terminating consumer process: ", "kafka.tools.ConsoleConsumer$");
                    Console.Error.WriteLine("org.apache.kafka.common.errors.TimeoutException");
                    break;
                }

                continue;
            }

            lastRecord = Environment.TickCount64;
            formatter.Write(record, output);
            output.Flush();
            processed++;
        }

        return processed;
    }

    /// <summary>
    /// The topics to read, after a metadata request that lets the broker auto-create a missing topic
    /// as the Java consumer does (allow.auto.create.topics); a topic that still does not exist ends
    /// the tool with Kafka's metadata warning, naming it.
    /// </summary>
    private static List<string>? ResolveTopics(IConsumer<byte[]?, byte[]?> consumer, string? topic, string? include, string clientText)
    {
        using IAdminClient admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        if (topic is not null)
        {
            for (int attempt = 0; attempt < 2; attempt++)
            {
                Metadata metadata = admin.GetMetadata(topic, KafkaClients.RequestTimeout);
                TopicMetadata? found = metadata.Topics.Find(t => t.Topic == topic);
                if (found is not null && found.Error.Code == ErrorCode.NoError && found.Partitions.Count > 0)
                {
                    return [topic];
                }

                if (found is not null && found.Error.Code is not (ErrorCode.UnknownTopicOrPart or ErrorCode.LeaderNotAvailable))
                {
                    ToolLog.Write("WARN", $"[{clientText}] Error while fetching metadata with correlation id 2 : {{{topic}={ErrorName(found.Error.Code)}}}", "org.apache.kafka.clients.NetworkClient");
                    return null;
                }
            }

            ToolLog.Write("WARN", $"[{clientText}] Error while fetching metadata with correlation id 2 : {{{topic}=UNKNOWN_TOPIC_OR_PARTITION}}", "org.apache.kafka.clients.NetworkClient");
            return null;
        }

        var regex = new Regex("^(?:" + include!.Replace(',', '|') + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        var topics = new List<string>();
        foreach (TopicMetadata candidate in admin.GetMetadata(KafkaClients.RequestTimeout).Topics)
        {
            if (regex.IsMatch(candidate.Topic) && !TopicFilter.IsInternal(candidate.Topic))
            {
                topics.Add(candidate.Topic);
            }
        }

        return topics;
    }

    private static List<TopicPartitionOffset> AllPartitions(IConsumer<byte[]?, byte[]?> consumer, List<string> topics, Offset start)
    {
        using IAdminClient admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var assignment = new List<TopicPartitionOffset>();
        foreach (string topic in topics)
        {
            foreach (TopicMetadata metadata in admin.GetMetadata(topic, KafkaClients.RequestTimeout).Topics)
            {
                foreach (PartitionMetadata partition in metadata.Partitions)
                {
                    assignment.Add(new TopicPartitionOffset(metadata.Topic, partition.PartitionId, start));
                }
            }
        }

        return assignment;
    }

    /// <summary>Confluent's TopicAlreadyExists -> TOPIC_ALREADY_EXISTS, as Kafka's Errors enum spells it.</summary>
    private static string ErrorName(ErrorCode code) =>
        Regex.Replace(code.ToString(), "(?<=[a-z0-9])([A-Z])", "_$1", RegexOptions.None, TimeSpan.FromSeconds(1)).ToUpperInvariant();

    /// <summary>
    /// Consumer settings in Kafka's order: --consumer.config, --consumer-property, then the tool's
    /// flags. The group: --group, or group.id from the files (they must agree), or a throwaway one.
    /// </summary>
    private (ConsumerConfig Config, bool GroupGiven) BuildConfig(ParsedOptions options, string bootstrap, bool fromBeginning, string isolation, bool hasPartition)
    {
        var fromFile = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.Value("consumer.config") is string file)
        {
            foreach ((string key, string value) in ClientProperties.LoadFile(file))
            {
                fromFile[key] = value;
            }
        }

        var fromFlags = new Dictionary<string, string>(StringComparer.Ordinal);
        ClientProperties.AddPairs(fromFlags, options.Values("consumer-property"));
        var properties = new Dictionary<string, string>(fromFile, StringComparer.Ordinal);
        foreach ((string key, string value) in fromFlags)
        {
            properties[key] = value;
        }

        var groups = new List<string>();
        foreach (string? group in (string?[])[options.Value("group"), fromFlags.GetValueOrDefault("group.id"), fromFile.GetValueOrDefault("group.id")])
        {
            if (group is not null && !groups.Contains(group))
            {
                groups.Add(group);
            }
        }

        if (groups.Count > 1)
        {
            throw _parser.Die($"The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: '{string.Join("', '", groups)}'");
        }

        bool groupGiven = groups.Count == 1;
        if (groupGiven)
        {
            if (hasPartition)
            {
                throw _parser.Die("Options group and partition cannot be specified together.");
            }

            properties["group.id"] = groups[0];
        }
        else
        {
            properties["group.id"] = "console-consumer-" + Random.Shared.Next(100_000).ToString(CultureInfo.InvariantCulture);
            // The throwaway group's offsets are never used again; don't fill the coordinator with them.
            properties.TryAdd("enable.auto.commit", "false");
        }

        properties["bootstrap.servers"] = bootstrap;
        properties["auto.offset.reset"] = fromBeginning ? "earliest" : properties.GetValueOrDefault("auto.offset.reset", "latest");
        properties["isolation.level"] = isolation;
        properties.TryAdd("client.id", "console-consumer");
        // Java consumer defaults that differ from librdkafka's.
        properties.TryAdd("allow.auto.create.topics", "true");
        properties.TryAdd("enable.partition.eof", "false");

        var config = new ConsumerConfig();
        KafkaClients.Apply(config, properties);
        return (config, groupGiven);
    }
}
