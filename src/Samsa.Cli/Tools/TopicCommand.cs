using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Cli.Clients;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// kafka-topics.sh: create, list, describe, alter (partitions) and delete topics through the admin
/// client, printing what Kafka's TopicCommand prints. Any failure after the command line is
/// accepted is "Error while executing topic command : message" on stdout and exit code 1.
/// </summary>
internal sealed partial class TopicCommand
{
    private const string ErrorPrefix = "Error while executing topic command : ";

    private readonly OptionParser _parser = new();
    private ParsedOptions _options = null!;

    private TopicCommand()
    {
        _parser.Accept("alter", "Alter the number of partitions, replica assignment, and/or configuration for the topic.");
        _parser.Accept("at-min-isr-partitions", "if set when describing topics, only show partitions whose isr count is equal to the configured minimum.");
        _parser.AcceptValue("bootstrap-server", "REQUIRED: The Kafka server to connect to.", "server to connect to");
        _parser.AcceptValue("command-config", "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.", "command config property file");
        _parser.AcceptValue("config", "A topic configuration override for the topic being created or altered. The following is a list of valid configurations: cleanup.policy compression.type delete.retention.ms file.delete.delay.ms flush.messages flush.ms index.interval.bytes max.message.bytes message.timestamp.type min.insync.replicas retention.bytes retention.ms segment.bytes segment.ms See the Kafka documentation for full details on the topic configs. It is supported only in combination with --create if --bootstrap-server option is used (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option).", "name=value");
        _parser.Accept("create", "Create a new topic.");
        _parser.Accept("delete", "Delete a topic");
        _parser.Accept("describe", "List details for the given topics.");
        _parser.Accept("exclude-internal", "exclude internal topics when running list or describe command. The internal topics will be listed by default");
        _parser.Accept("if-exists", "if set when altering or deleting or describing topics, the action will only execute if the topic exists.");
        _parser.Accept("if-not-exists", "if set when creating topics, the action will only execute if the topic does not already exist.");
        _parser.Accept("list", "List all available topics.");
        _parser.AcceptValue("partitions", "The number of partitions for the topic being created or altered (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected). If not supplied for create, defaults to the cluster default.", "# of partitions", "Integer");
        _parser.AcceptValue("replica-assignment", "A list of manual partition-to-broker assignments for the topic being created or altered.", "broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...");
        _parser.AcceptValue("replication-factor", "The replication factor for each partition in the topic being created. If not supplied, defaults to the cluster default.", "replication factor", "Integer");
        _parser.AcceptValue("topic", "The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the '\\' prefix to escape regular expression symbols; e.g. \"test\\.topic\".", "topic");
        _parser.Accept("topics-with-overrides", "if set when describing topics, only show topics that have overridden configs");
        _parser.Accept("unavailable-partitions", "if set when describing topics, only show partitions whose leader is not available");
        _parser.Accept("under-min-isr-partitions", "if set when describing topics, only show partitions whose isr count is less than the configured minimum.");
        _parser.Accept("under-replicated-partitions", "if set when describing topics, only show under replicated partitions");
    }

    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        new TopicCommand().ExecuteAsync(args, cancellationToken);

    private async Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0)
        {
            throw _parser.Die("Create, delete, describe, or change a topic.");
        }

        _options = _parser.Parse(args);
        CheckArgs();

        string bootstrap = _options.Value("bootstrap-server")!;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_options.Value("command-config") is string file)
        {
            foreach ((string key, string value) in ClientProperties.LoadFile(file))
            {
                properties[key] = value;
            }
        }

        BootstrapProbe probe = await BootstrapProbe.RunAsync(bootstrap, cancellationToken).ConfigureAwait(false);
        if (!probe.Reachable)
        {
            ToolLog.Write("WARN", probe.UnreachableMessage("AdminClient clientId=adminclient-1"), "org.apache.kafka.clients.NetworkClient");
            Console.WriteLine(ErrorPrefix + "Timed out waiting for a node assignment. Call: " + CallName());
            return 1;
        }

        using IAdminClient admin = KafkaClients.Admin(bootstrap, properties);
        try
        {
            if (_options.Has("create"))
            {
                await CreateAsync(admin).ConfigureAwait(false);
            }
            else if (_options.Has("list"))
            {
                List<string> topics = ListTopics(admin);
                Console.WriteLine(string.Join('\n', topics));
            }
            else if (_options.Has("describe"))
            {
                await DescribeAsync(admin).ConfigureAwait(false);
            }
            else if (_options.Has("alter"))
            {
                await AlterAsync(admin).ConfigureAwait(false);
            }
            else
            {
                await DeleteAsync(admin).ConfigureAwait(false);
            }

            return 0;
        }
        catch (TopicCommandException e)
        {
            Console.WriteLine(ErrorPrefix + e.Message);
            return 1;
        }
        catch (KafkaException e)
        {
            Console.WriteLine(ErrorPrefix + KafkaErrorText.Message(e.Error, ApiName()));
            return 1;
        }
    }

    /// <summary>TopicCommandOptions.checkArgs: exactly one action, the flags it needs, none it cannot use.</summary>
    private void CheckArgs()
    {
        if (_options.Has("help"))
        {
            throw _parser.Die("This tool helps to create, delete, describe, or change a topic.");
        }

        int actions = 0;
        foreach (string action in (string[])["create", "list", "alter", "describe", "delete"])
        {
            actions += _options.Has(action) ? 1 : 0;
        }

        if (actions != 1)
        {
            throw _parser.Die("Command must include exactly one action: --list, --describe, --create, --alter or --delete");
        }

        _parser.Require(_options, "bootstrap-server");
        if (!_options.Has("list") && !_options.Has("describe"))
        {
            _parser.Require(_options, "topic");
        }

        if (_options.Has("alter"))
        {
            if (_options.Has("config"))
            {
                throw _parser.Die("Option combination \"[bootstrap-server],[config]\" can't be used with option \"[alter]\" (the kafka-configs CLI supports altering topic configs with a --bootstrap-server option)");
            }

            _parser.Require(_options, "partitions");
        }

        string[] describeOnly = ["under-replicated-partitions", "unavailable-partitions", "under-min-isr-partitions", "at-min-isr-partitions", "topics-with-overrides"];
        _parser.Forbid(_options, "config", "list", "describe", "delete");
        _parser.Forbid(_options, "partitions", "list", "describe", "delete");
        _parser.Forbid(_options, "replication-factor", "list", "describe", "delete", "alter");
        _parser.Forbid(_options, "replica-assignment", "list", "describe", "delete");
        if (_options.Has("create"))
        {
            _parser.Forbid(_options, "replica-assignment", "partitions", "replication-factor");
        }

        foreach (string filter in describeOnly)
        {
            _parser.Forbid(_options, filter, "list", "create", "alter", "delete");
        }

        _parser.Forbid(_options, "if-exists", "list", "create");
        _parser.Forbid(_options, "if-not-exists", "list", "describe", "alter", "delete");
        _parser.Forbid(_options, "exclude-internal", "create", "alter", "delete");
    }

    private string CallName() =>
        _options.Has("create") ? "createTopics" : _options.Has("delete") ? "deleteTopics" : "listTopics";

    private string ApiName() =>
        _options.Has("create") ? "CREATE_TOPICS"
        : _options.Has("delete") ? "DELETE_TOPICS"
        : _options.Has("alter") ? "CREATE_PARTITIONS"
        : "METADATA";

    private async Task CreateAsync(IAdminClient admin)
    {
        string name = _options.Value("topic")!;
        if (name.Contains('.', StringComparison.Ordinal) || name.Contains('_', StringComparison.Ordinal))
        {
            Console.WriteLine("WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.");
        }

        int? partitions = IntOption("partitions");
        int? replicationFactor = IntOption("replication-factor");
        if (replicationFactor is < 1 or > short.MaxValue)
        {
            throw new TopicCommandException("The replication factor must be between 1 and 32767 inclusive");
        }

        if (partitions is < 1)
        {
            throw new TopicCommandException("The partitions must be greater than 0");
        }

        var spec = new TopicSpecification
        {
            Name = name,
            NumPartitions = partitions ?? -1,
            ReplicationFactor = (short)(replicationFactor ?? -1),
            Configs = ParseConfigs(),
        };
        if (_options.Value("replica-assignment") is string assignment)
        {
            spec.ReplicasAssignments = ParseReplicaAssignment(assignment);
            spec.NumPartitions = -1;
            spec.ReplicationFactor = -1;
        }

        try
        {
            await admin.CreateTopicsAsync([spec], new CreateTopicsOptions { RequestTimeout = KafkaClients.TopicOperationTimeout, OperationTimeout = KafkaClients.TopicOperationTimeout })
                .ConfigureAwait(false);
            Console.WriteLine($"Created topic {name}.");
        }
        catch (CreateTopicsException e)
        {
            Error error = e.Results[0].Error;
            if (error.Code == ErrorCode.TopicAlreadyExists && _options.Has("if-not-exists"))
            {
                return;
            }

            throw new TopicCommandException(KafkaErrorText.Message(error, "CREATE_TOPICS"));
        }
    }

    private async Task AlterAsync(IAdminClient admin)
    {
        List<string> topics = MatchingTopics(admin, mustExist: !_options.Has("if-exists"));
        if (topics.Count == 0)
        {
            return;
        }

        int partitions = IntOption("partitions")!.Value;
        var specs = new List<PartitionsSpecification>(topics.Count);
        foreach (string topic in topics)
        {
            var spec = new PartitionsSpecification { Topic = topic, IncreaseTo = partitions };
            if (_options.Value("replica-assignment") is string assignment)
            {
                // Kafka's --alter takes the full assignment and sends only the new partitions' part.
                Dictionary<int, List<int>> all = ParseReplicaAssignment(assignment);
                int existing = ExistingPartitionCount(admin, topic);
                spec.ReplicaAssignments = [];
                for (int p = existing; p < all.Count; p++)
                {
                    spec.ReplicaAssignments.Add(all[p]);
                }
            }

            specs.Add(spec);
        }

        try
        {
            await admin.CreatePartitionsAsync(specs, new CreatePartitionsOptions { RequestTimeout = KafkaClients.TopicOperationTimeout, OperationTimeout = KafkaClients.TopicOperationTimeout })
                .ConfigureAwait(false);
        }
        catch (CreatePartitionsException e)
        {
            foreach (CreatePartitionsReport report in e.Results)
            {
                if (report.Error.IsError)
                {
                    throw new TopicCommandException(KafkaErrorText.Message(report.Error, "CREATE_PARTITIONS"));
                }
            }

            throw;
        }
    }

    private async Task DeleteAsync(IAdminClient admin)
    {
        List<string> topics = MatchingTopics(admin, mustExist: !_options.Has("if-exists"));
        if (topics.Count == 0)
        {
            return;
        }

        try
        {
            await admin.DeleteTopicsAsync(topics, new DeleteTopicsOptions { RequestTimeout = KafkaClients.TopicOperationTimeout, OperationTimeout = KafkaClients.TopicOperationTimeout })
                .ConfigureAwait(false);
        }
        catch (DeleteTopicsException e)
        {
            foreach (DeleteTopicReport report in e.Results)
            {
                if (report.Error.IsError)
                {
                    throw new TopicCommandException(KafkaErrorText.Message(report.Error, "DELETE_TOPICS"));
                }
            }

            throw;
        }
    }

    /// <summary>All topic names, sorted, filtered by --topic and --exclude-internal.</summary>
    private List<string> ListTopics(IAdminClient admin)
    {
        var filter = new TopicFilter(_options.Value("topic"), _options.Has("exclude-internal"));
        Metadata metadata = admin.GetMetadata(KafkaClients.RequestTimeout);
        var names = new List<string>();
        foreach (TopicMetadata topic in metadata.Topics)
        {
            if (topic.Error.Code != ErrorCode.UnknownTopicOrPart && filter.Allows(topic.Topic))
            {
                names.Add(topic.Topic);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Kafka's getTopics + ensureTopicExists.</summary>
    private List<string> MatchingTopics(IAdminClient admin, bool mustExist)
    {
        List<string> topics = ListTopics(admin);
        return topics.Count == 0 && mustExist && _options.Value("topic") is string requested
            ? throw new TopicCommandException($"Topic '{requested}' does not exist as expected")
            : topics;
    }

    private static int ExistingPartitionCount(IAdminClient admin, string topic)
    {
        Metadata metadata = admin.GetMetadata(topic, KafkaClients.RequestTimeout);
        return metadata.Topics.Count == 0 ? 0 : metadata.Topics[0].Partitions.Count;
    }

    private int? IntOption(string name)
    {
        try
        {
            return _options.Int32(name);
        }
        catch (UsageException e)
        {
            throw new TopicCommandException(e.Message);
        }
    }

    /// <summary>--config k=v, repeatable; Kafka splits each on '=' and wants exactly two parts.</summary>
    private Dictionary<string, string> ParseConfigs()
    {
        var configs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in _options.Values("config"))
        {
            string[] parts = entry.Split('=');
            if (parts.Length != 2)
            {
                throw new TopicCommandException("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\".");
            }

            configs[parts[0].Trim()] = parts[1].Trim();
        }

        return configs;
    }

    /// <summary>"0:1,1:2": partitions separated by ',', the replicas of one partition by ':'.</summary>
    private static Dictionary<int, List<int>> ParseReplicaAssignment(string text)
    {
        var result = new Dictionary<int, List<int>>();
        string[] partitions = text.Split(',');
        for (int p = 0; p < partitions.Length; p++)
        {
            var brokers = new List<int>();
            var duplicates = new List<int>();
            foreach (string word in partitions[p].Split(':'))
            {
                if (!int.TryParse(word.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int broker))
                {
                    throw new TopicCommandException($"For input string: \"{word.Trim()}\"");
                }

                if (brokers.Contains(broker) && !duplicates.Contains(broker))
                {
                    duplicates.Add(broker);
                }

                brokers.Add(broker);
            }

            if (duplicates.Count > 0)
            {
                throw new TopicCommandException($"Partition replica lists may not contain duplicate entries: {string.Join(',', duplicates)}");
            }

            if (p > 0 && brokers.Count != result[0].Count)
            {
                throw new TopicCommandException($"Partition {p} has different replication factor: {string.Join(',', brokers)}");
            }

            result.Add(p, brokers);
        }

        return result;
    }
}
