using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Cli.Clients;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// kafka-configs.sh for topics and brokers: --describe (dynamic entries, or --all) through
/// DescribeConfigs and --alter (--add-config, --delete-config) through IncrementalAlterConfigs,
/// printing Kafka's ConfigCommand lines. Brokers are named by id (--entity-name, --broker) or, for
/// the cluster-wide defaults, with --entity-default / --broker-defaults.
/// </summary>
internal sealed partial class ConfigCommand
{
    private readonly OptionParser _parser = new();
    private string[] _args = [];

    private ConfigCommand()
    {
        _parser.AcceptValue("add-config", "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'.", "String");
        _parser.AcceptValue("add-config-file", "Path to a properties file with configs to add.", "String");
        _parser.Accept("all", "List all configs for the given topic, broker, or broker-logger entity (includes static configuration when the entity type is brokers)");
        _parser.Accept("alter", "Alter the configuration for the entity.");
        _parser.AcceptValue("bootstrap-server", "The Kafka server to connect to. This is required for describing and altering broker configs.", "server to connect to");
        _parser.AcceptValue("broker", "The broker's ID.", "String");
        _parser.Accept("broker-defaults", "The config defaults for all brokers.");
        _parser.AcceptValue("command-config", "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.", "command config property file");
        _parser.AcceptValue("delete-config", "config keys to remove 'k1,k2'", "String");
        _parser.Accept("describe", "List configs for the given entity.");
        _parser.Accept("entity-default", "Default entity name for clients/users/brokers/ips (applies to corresponding entity type in command line)");
        _parser.AcceptValue("entity-name", "Name of entity (topic name/client id/user principal name/broker id/ip)", "String");
        _parser.AcceptValue("entity-type", "Type of entity (topics/clients/users/brokers/broker-loggers/ips)", "String");
        _parser.AcceptValue("topic", "The topic's name.", "String");
    }

    public static Task<int> RunAsync(string[] args, CancellationToken cancellationToken) =>
        new ConfigCommand { _args = args }.ExecuteAsync(args, cancellationToken);

    private async Task<int> ExecuteAsync(string[] args, CancellationToken cancellationToken)
    {
        if (args.Length == 0)
        {
            throw _parser.Die("This tool helps to manipulate and describe entity config for a topic, client, user, broker or ip");
        }

        ParsedOptions options = _parser.Parse(args);
        if (options.Has("help"))
        {
            throw _parser.Die("This tool helps to manipulate and describe entity config for a topic, client, user, broker or ip");
        }

        int actions = (options.Has("describe") ? 1 : 0) + (options.Has("alter") ? 1 : 0);
        if (actions != 1)
        {
            throw _parser.Die("Command must include exactly one action: --describe, --alter");
        }

        _parser.Require(options, "bootstrap-server");
        (ResourceType type, string entityType, string? name) = Entity(options);
        if (options.Has("alter") && !options.Has("add-config") && !options.Has("delete-config") && !options.Has("add-config-file"))
        {
            throw _parser.Die("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter");
        }

        if (options.Has("describe"))
        {
            _parser.Forbid(options, "describe", "add-config", "delete-config", "add-config-file");
        }

        if (options.Has("alter") && name is null)
        {
            throw _parser.Die($"an entity name must be specified with --alter of {entityType}s");
        }

        if (type == ResourceType.Broker && name is { Length: > 0 } && !int.TryParse(name, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            Console.Error.WriteLine($"The entity name for brokers must be a valid integer broker id, found: {name}");
            return 1;
        }

        string bootstrap = options.Value("bootstrap-server")!;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.Value("command-config") is string file)
        {
            foreach ((string key, string value) in ClientProperties.LoadFile(file))
            {
                properties[key] = value;
            }
        }

        string operation = options.Has("describe") ? "DESCRIBE_CONFIGS" : "INCREMENTAL_ALTER_CONFIGS";
        BootstrapProbe probe = await BootstrapProbe.RunAsync(bootstrap, cancellationToken).ConfigureAwait(false);
        if (!probe.Reachable)
        {
            ToolLog.Write("WARN", probe.UnreachableMessage("AdminClient clientId=adminclient-1"), "org.apache.kafka.clients.NetworkClient");
            Fail("org.apache.kafka.common.errors.TimeoutException: Timed out waiting for a node assignment. Call: " + (options.Has("describe") ? "describeConfigs" : "incrementalAlterConfigs"));
            return 1;
        }

        using IAdminClient admin = KafkaClients.Admin(bootstrap, properties);
        try
        {
            if (options.Has("describe"))
            {
                await DescribeAsync(admin, probe.ReachedAddress!, type, entityType, name, options.Has("all"), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await AlterAsync(admin, probe.ReachedAddress!, type, entityType, name, options, cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }
        catch (ConfigCommandException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (KafkaException e)
        {
            Fail(KafkaErrorText.ExceptionLine(e.Error, operation));
            return 1;
        }
    }

    private (ResourceType Type, string EntityType, string? Name) Entity(ParsedOptions options)
    {
        string? entityType = options.Value("entity-type");
        string? name = options.Value("entity-name");
        if (options.Value("topic") is string topic)
        {
            entityType = "topics";
            name = topic;
        }
        else if (options.Value("broker") is string broker)
        {
            entityType = "brokers";
            name = broker;
        }
        else if (options.Has("broker-defaults"))
        {
            entityType = "brokers";
            name = "";
        }

        if (options.Has("entity-default"))
        {
            if (entityType != "brokers")
            {
                throw new UsageException($"Samsa supports --entity-default for brokers only; {entityType ?? "the entity type"} has no defaults here");
            }

            // Kafka's name for the cluster-wide broker defaults.
            name = "";
        }

        return entityType switch
        {
            null => throw _parser.Die("Missing required argument \"[entity-type]\""),
            "topics" => (ResourceType.Topic, "topic", name),
            "brokers" => (ResourceType.Broker, "broker", name),
            "clients" or "users" or "ips" or "broker-loggers" => throw new UsageException($"Samsa does not support {entityType} configs yet; supported entity types: topics, brokers"),
            _ => throw _parser.Die($"Invalid entity type {entityType}, the entity type must be one of topics, clients, users, brokers, ips, broker-loggers"),
        };
    }

    private static async Task DescribeAsync(IAdminClient admin, string reachedAddress, ResourceType type, string entityType, string? name, bool all, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        if (name is not null)
        {
            names.Add(name);
        }
        else
        {
            Metadata metadata = admin.GetMetadata(KafkaClients.RequestTimeout);
            if (type == ResourceType.Topic)
            {
                foreach (TopicMetadata topic in metadata.Topics)
                {
                    names.Add(topic.Topic);
                }
            }
            else
            {
                foreach (BrokerMetadata broker in metadata.Brokers)
                {
                    names.Add(broker.BrokerId.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }

                names.Sort(StringComparer.Ordinal);

                // Kafka lists the cluster-wide defaults (entity "") after the brokers.
                names.Add("");
            }

            if (type == ResourceType.Topic)
            {
                names.Sort(StringComparer.Ordinal);
            }
        }

        var output = new StringBuilder();
        foreach (string entity in names)
        {
            List<ConfigEntryResult> entries = await DescribeEntityAsync(admin, reachedAddress, type, entity, cancellationToken).ConfigureAwait(false);
            if (type == ResourceType.Broker && entity.Length == 0)
            {
                output.Append("Default configs for brokers in the cluster are:\n");
            }
            else
            {
                output.Append(all ? "All" : "Dynamic").Append(" configs for ").Append(entityType).Append(' ').Append(entity).Append(" are:\n");
            }

            ConfigSource dynamicSource = type == ResourceType.Topic ? ConfigSource.DynamicTopicConfig
                : entity.Length == 0 ? ConfigSource.DynamicDefaultBrokerConfig : ConfigSource.DynamicBrokerConfig;
            entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (ConfigEntryResult entry in entries)
            {
                if (!all && entry.Source != dynamicSource)
                {
                    continue;
                }

                output.Append("  ").Append(entry.Name).Append('=').Append(entry.IsSensitive ? "null" : entry.Value ?? "null")
                    .Append(" sensitive=").Append(entry.IsSensitive ? "true" : "false")
                    .Append(" synonyms={");
                for (int i = 0; i < (entry.Synonyms?.Count ?? 0); i++)
                {
                    ConfigSynonym synonym = entry.Synonyms![i];
                    output.Append(i > 0 ? ", " : "").Append(SourceName(synonym.Source)).Append(':').Append(synonym.Name).Append('=')
                        .Append(entry.IsSensitive ? "null" : synonym.Value ?? "null");
                }

                output.Append("}\n");
            }
        }

        Console.Write(output.ToString());
    }

    private static async Task AlterAsync(IAdminClient admin, string reachedAddress, ResourceType type, string entityType, string? name, ParsedOptions options, CancellationToken cancellationToken)
    {
        var entries = new List<ConfigEntry>();
        var toAdd = new Dictionary<string, string>(StringComparer.Ordinal);
        if (options.Value("add-config-file") is string file)
        {
            foreach ((string key, string value) in ClientProperties.LoadFile(file))
            {
                toAdd[key] = value;
            }
        }

        if (options.Value("add-config") is string add)
        {
            foreach (string pair in SplitConfigs(add))
            {
                int equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new ConfigCommandException("requirement failed: Invalid entity config: all configs to be added must be in the format \"key=val\".");
                }

                string value = pair[(equals + 1)..].Trim();
                if (value.StartsWith('[') && value.EndsWith(']'))
                {
                    value = value[1..^1];
                }

                toAdd[pair[..equals].Trim()] = value;
            }
        }

        foreach ((string key, string value) in toAdd)
        {
            entries.Add(new ConfigEntry { Name = key, Value = value, IncrementalOperation = AlterConfigOpType.Set });
        }

        var toDelete = new List<string>();
        if (options.Value("delete-config") is string delete)
        {
            foreach (string key in delete.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                toDelete.Add(key);
                entries.Add(new ConfigEntry { Name = key, Value = null, IncrementalOperation = AlterConfigOpType.Delete });
            }
        }

        foreach (string key in toDelete)
        {
            if (toAdd.ContainsKey(key))
            {
                throw new ConfigCommandException($"Invalid config(s): {key}");
            }
        }

        string entity = name ?? "";
        if (toDelete.Count > 0)
        {
            // Kafka refuses to delete a config the entity does not set dynamically.
            ConfigSource dynamicSource = type == ResourceType.Topic ? ConfigSource.DynamicTopicConfig
                : entity.Length == 0 ? ConfigSource.DynamicDefaultBrokerConfig : ConfigSource.DynamicBrokerConfig;
            List<ConfigEntryResult> current = await DescribeEntityAsync(admin, reachedAddress, type, entity, cancellationToken).ConfigureAwait(false);
            var invalid = new List<string>();
            foreach (string key in toDelete)
            {
                if (!current.Exists(e => e.Name == key && e.Source == dynamicSource))
                {
                    invalid.Add(key);
                }
            }

            if (invalid.Count > 0)
            {
                throw new ConfigCommandException($"Invalid config(s): {string.Join(',', invalid)}");
            }
        }

        if (type == ResourceType.Broker && entity.Length == 0)
        {
            await AlterDefaultsAsync(reachedAddress, entries, cancellationToken).ConfigureAwait(false);
            Console.WriteLine("Completed updating default config for brokers in the cluster.");
            return;
        }

        var resource = new ConfigResource { Type = type, Name = entity };
        try
        {
            await admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>> { [resource] = entries },
                new IncrementalAlterConfigsOptions { RequestTimeout = KafkaClients.RequestTimeout }).ConfigureAwait(false);
        }
        catch (IncrementalAlterConfigsException e)
        {
            throw new KafkaException(e.Results[0].Error);
        }

        Console.WriteLine($"Completed updating config for {entityType} {entity}.");
    }

    private static async Task<List<ConfigEntryResult>> DescribeEntityAsync(IAdminClient admin, string reachedAddress, ResourceType type, string entity, CancellationToken cancellationToken)
    {
        if (type == ResourceType.Broker && entity.Length == 0)
        {
            return await DescribeDefaultsAsync(reachedAddress, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            List<DescribeConfigsResult> results = await admin.DescribeConfigsAsync(
                [new ConfigResource { Type = type, Name = entity }],
                new DescribeConfigsOptions { RequestTimeout = KafkaClients.RequestTimeout }).ConfigureAwait(false);
            return [.. results[0].Entries.Values];
        }
        catch (DescribeConfigsException e)
        {
            Error error = e.Results[0].Error;
            throw error.Code == ErrorCode.UnknownTopicOrPart && type == ResourceType.Topic
                ? new KafkaException(new Error(error.Code, $"The topic '{entity}' does not exist."))
                : new KafkaException(error);
        }
    }

    /// <summary>Splits k1=v1,k2=[a,b] on the commas outside square brackets.</summary>
    private static List<string> SplitConfigs(string text)
    {
        var parts = new List<string>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '[')
            {
                depth++;
            }
            else if (text[i] == ']')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        parts.Add(text[start..]);
        parts.RemoveAll(string.IsNullOrWhiteSpace);
        return parts;
    }

    /// <summary>Java's ConfigEntry.ConfigSource names.</summary>
    private static string SourceName(ConfigSource source) => source switch
    {
        ConfigSource.DynamicTopicConfig => "DYNAMIC_TOPIC_CONFIG",
        ConfigSource.DynamicBrokerConfig => "DYNAMIC_BROKER_CONFIG",
        ConfigSource.DynamicDefaultBrokerConfig => "DYNAMIC_DEFAULT_BROKER_CONFIG",
        ConfigSource.StaticBrokerConfig => "STATIC_BROKER_CONFIG",
        ConfigSource.DefaultConfig => "DEFAULT_CONFIG",
        _ => "UNKNOWN",
    };

    /// <summary>Kafka's ConfigCommand prints this line, then the exception, for any failure it did not expect.</summary>
    private void Fail(string exceptionLine)
    {
        Console.Error.WriteLine($"Error while executing config command with args '{string.Join(' ', _args)}'");
        Console.Error.WriteLine("java.util.concurrent.ExecutionException: " + exceptionLine);
    }
}
