using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Cli.Clients;

namespace Samsa.Cli.Tools;

/// <summary>--describe: Kafka 3.x's summary line per topic, then one line per partition.</summary>
internal sealed partial class TopicCommand
{
    private async Task DescribeAsync(IAdminClient admin)
    {
        List<string> topics = MatchingTopics(admin, mustExist: !_options.Has("if-exists"));
        if (topics.Count == 0)
        {
            return;
        }

        DescribeTopicsResult described;
        try
        {
            described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames(topics), new DescribeTopicsOptions { RequestTimeout = KafkaClients.RequestTimeout })
                .ConfigureAwait(false);
        }
        catch (DescribeTopicsException e)
        {
            foreach (TopicDescription failed in e.Results.TopicDescriptions)
            {
                if (failed.Error.IsError)
                {
                    throw new TopicCommandException(failed.Error.Code == ErrorCode.UnknownTopicOrPart
                        ? $"Topic '{failed.Name}' does not exist as expected"
                        : KafkaErrorText.Message(failed.Error, "METADATA"));
                }
            }

            throw;
        }

        Dictionary<string, List<ConfigEntryResult>> configs = await DescribeConfigsAsync(admin, topics).ConfigureAwait(false);
        var liveBrokers = new HashSet<int>();
        foreach (BrokerMetadata broker in admin.GetMetadata(KafkaClients.RequestTimeout).Brokers)
        {
            liveBrokers.Add(broker.BrokerId);
        }

        bool underReplicated = _options.Has("under-replicated-partitions");
        bool unavailable = _options.Has("unavailable-partitions");
        bool underMinIsr = _options.Has("under-min-isr-partitions");
        bool atMinIsr = _options.Has("at-min-isr-partitions");
        bool partitionFilter = underReplicated || unavailable || underMinIsr || atMinIsr;
        bool onlyOverrides = _options.Has("topics-with-overrides");

        var byName = new Dictionary<string, TopicDescription>(StringComparer.Ordinal);
        foreach (TopicDescription description in described.TopicDescriptions)
        {
            byName[description.Name] = description;
        }

        var output = new StringBuilder();
        foreach (string name in topics)
        {
            if (!byName.TryGetValue(name, out TopicDescription? topic))
            {
                continue;
            }

            var partitions = new List<TopicPartitionInfo>(topic.Partitions);
            partitions.Sort(static (a, b) => a.Partition.CompareTo(b.Partition));
            List<ConfigEntryResult> entries = configs.TryGetValue(name, out List<ConfigEntryResult>? found) ? found : [];
            string overrides = NonDefaultConfigs(entries);
            if (onlyOverrides && overrides.Length == 0)
            {
                continue;
            }

            if (!partitionFilter)
            {
                output.Append("Topic: ").Append(name);
                string topicId = TopicIdText(topic.TopicId);
                if (topicId.Length > 0)
                {
                    output.Append("\tTopicId: ").Append(topicId);
                }

                output.Append("\tPartitionCount: ").Append(partitions.Count.ToString(CultureInfo.InvariantCulture))
                    .Append("\tReplicationFactor: ").Append((partitions.Count == 0 ? 0 : partitions[0].Replicas.Count).ToString(CultureInfo.InvariantCulture))
                    .Append("\tConfigs: ").Append(overrides)
                    .Append('\n');
            }

            if (onlyOverrides)
            {
                continue;
            }

            int minIsr = MinInsyncReplicas(entries);
            foreach (TopicPartitionInfo partition in partitions)
            {
                bool hasLeader = partition.Leader is not null && partition.Leader.Id >= 0 && liveBrokers.Contains(partition.Leader.Id);
                if (partitionFilter)
                {
                    bool show = (underReplicated && partition.ISR.Count < partition.Replicas.Count)
                        || (unavailable && !hasLeader)
                        || (underMinIsr && (!hasLeader || partition.ISR.Count < minIsr))
                        || (atMinIsr && partition.ISR.Count == minIsr);
                    if (!show)
                    {
                        continue;
                    }
                }

                output.Append("\tTopic: ").Append(name)
                    .Append("\tPartition: ").Append(partition.Partition.ToString(CultureInfo.InvariantCulture))
                    .Append("\tLeader: ").Append(hasLeader ? partition.Leader!.Id.ToString(CultureInfo.InvariantCulture) : "none")
                    .Append("\tReplicas: ").Append(NodeIds(partition.Replicas))
                    .Append("\tIsr: ").Append(NodeIds(partition.ISR))
                    .Append('\n');
            }
        }

        Console.Write(output.ToString());
    }

    /// <summary>
    /// The topics' configs. A broker without DescribeConfigs leaves "Configs: " empty rather than
    /// failing the describe: the partition layout is still worth showing.
    /// </summary>
    private static async Task<Dictionary<string, List<ConfigEntryResult>>> DescribeConfigsAsync(IAdminClient admin, List<string> topics)
    {
        var result = new Dictionary<string, List<ConfigEntryResult>>(StringComparer.Ordinal);
        var resources = new List<ConfigResource>(topics.Count);
        foreach (string topic in topics)
        {
            resources.Add(new ConfigResource { Type = ResourceType.Topic, Name = topic });
        }

        try
        {
            List<DescribeConfigsResult> described = await admin.DescribeConfigsAsync(resources, new DescribeConfigsOptions { RequestTimeout = KafkaClients.RequestTimeout })
                .ConfigureAwait(false);
            foreach (DescribeConfigsResult config in described)
            {
                result[config.ConfigResource.Name] = [.. config.Entries.Values];
            }
        }
        catch (KafkaException)
        {
            // Unsupported or failed: describe without configs (see the summary above).
        }

        return result;
    }

    /// <summary>Entries whose source is not DEFAULT_CONFIG, "k=v" comma-joined, sorted by name.</summary>
    private static string NonDefaultConfigs(List<ConfigEntryResult> entries)
    {
        var pairs = new List<string>();
        foreach (ConfigEntryResult entry in entries)
        {
            if (entry.Source != ConfigSource.DefaultConfig && !entry.IsDefault)
            {
                pairs.Add($"{entry.Name}={entry.Value ?? "null"}");
            }
        }

        pairs.Sort(StringComparer.Ordinal);
        return string.Join(',', pairs);
    }

    private static int MinInsyncReplicas(List<ConfigEntryResult> entries)
    {
        foreach (ConfigEntryResult entry in entries)
        {
            if (entry.Name == "min.insync.replicas" && int.TryParse(entry.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            {
                return value;
            }
        }

        return 1;
    }

    private static string NodeIds(List<Node> nodes)
    {
        var ids = new StringBuilder();
        foreach (Node node in nodes)
        {
            if (ids.Length > 0)
            {
                ids.Append(',');
            }

            ids.Append(node.Id.ToString(CultureInfo.InvariantCulture));
        }

        return ids.ToString();
    }

    /// <summary>Java's Uuid.toString: the 16 bytes, URL-safe base64 without padding; empty for the zero id.</summary>
    private static string TopicIdText(Uuid? id)
    {
        if (id is null || (id.MostSignificantBits == 0 && id.LeastSignificantBits == 0))
        {
            return "";
        }

        byte[] bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes, id.MostSignificantBits);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), id.LeastSignificantBits);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
