using System.Diagnostics;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.LoadGenerator;

/// <summary>
/// Before a run: finds the topic (Metadata), creates it when missing (CreateTopics), and waits
/// until every partition has a leader. The generator measures one broker, so every partition must
/// be led by the bootstrap broker.
/// </summary>
internal static class TopicSetup
{
    private const short MetadataVersion = 12;
    private const short CreateTopicsVersion = 7;
    private static readonly TimeSpan LeaderWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MetadataRetryInterval = TimeSpan.FromMilliseconds(100);

    /// <param name="create">Create the topic when it does not exist (the produce phases do; fetch alone does not).</param>
    public static async Task<TopicLayout> PrepareAsync(LoadOptions options, bool create, TextWriter log, CancellationToken cancellationToken)
    {
        await using BrokerConnection connection = await BrokerConnection.ConnectAsync(options.Host, options.Port, 64 * 1024 * 1024, cancellationToken);
        long deadline = Stopwatch.GetTimestamp() + (long)(LeaderWait.TotalSeconds * Stopwatch.Frequency);
        bool created = false;
        while (true)
        {
            MetadataResponseData metadata = await connection.RequestAsync<MetadataResponseData>(
                new MetadataRequestData { Topics = [new MetadataRequestData.MetadataRequestTopic { Name = options.Topic }], AllowAutoTopicCreation = false },
                MetadataVersion,
                options.ClientId);
            MetadataResponseData.MetadataResponseTopic? topic = metadata.Topics.Count == 1 ? metadata.Topics[0] : null;
            var error = (ErrorCode)(topic?.ErrorCode ?? (short)ErrorCode.UnknownTopicOrPartition);
            if (error == ErrorCode.UnknownTopicOrPartition && !created)
            {
                if (!create)
                {
                    throw new InvalidOperationException($"Topic '{options.Topic}' does not exist; run produce (or produce-fetch) first.");
                }

                await CreateAsync(connection, options, log);
                created = true;
            }
            else if (error == ErrorCode.None && topic is not null && AllLed(metadata, topic, options))
            {
                if (create && !created && topic.Partitions.Count != options.Partitions)
                {
                    log.WriteLine($"Topic '{options.Topic}' exists with {topic.Partitions.Count} partitions; using those.");
                }

                return new TopicLayout(options.Topic, topic.TopicId, topic.Partitions.Count);
            }
            else if (error != ErrorCode.None && !error.IsRetriable() && error != ErrorCode.UnknownTopicOrPartition)
            {
                throw new InvalidOperationException($"Metadata for '{options.Topic}' failed: {error.KafkaName()}.");
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Topic '{options.Topic}' has no leader for every partition after {LeaderWait.TotalSeconds:0} s (last error {error.KafkaName()}).");
            }

            await Task.Delay(MetadataRetryInterval, cancellationToken);
        }
    }

    private static async Task CreateAsync(BrokerConnection connection, LoadOptions options, TextWriter log)
    {
        CreateTopicsResponseData response = await connection.RequestAsync<CreateTopicsResponseData>(
            new CreateTopicsRequestData
            {
                Topics =
                [
                    new CreateTopicsRequestData.CreatableTopic
                    {
                        Name = options.Topic,
                        NumPartitions = options.Partitions,
                        ReplicationFactor = options.ReplicationFactor,
                    },
                ],
                TimeoutMs = (int)LeaderWait.TotalMilliseconds,
            },
            CreateTopicsVersion,
            options.ClientId);
        var error = (ErrorCode)(response.Topics.Count == 1 ? response.Topics[0].ErrorCode : (short)ErrorCode.UnknownServerError);
        if (error is not (ErrorCode.None or ErrorCode.TopicAlreadyExists))
        {
            throw new InvalidOperationException($"Creating '{options.Topic}' failed: {error.KafkaName()} {response.Topics[0].ErrorMessage}");
        }

        log.WriteLine($"Created topic '{options.Topic}' with {options.Partitions} partitions, replication factor {options.ReplicationFactor}.");
    }

    /// <summary>True when every partition has a leader; throws when one is led by a broker other than the bootstrap one.</summary>
    private static bool AllLed(MetadataResponseData metadata, MetadataResponseData.MetadataResponseTopic topic, LoadOptions options)
    {
        int bootstrapId = BootstrapNodeId(metadata, options);
        foreach (MetadataResponseData.MetadataResponsePartition partition in topic.Partitions)
        {
            if (partition.ErrorCode != (short)ErrorCode.None || partition.LeaderId < 0)
            {
                return false;
            }

            if (bootstrapId >= 0 && partition.LeaderId != bootstrapId)
            {
                throw new InvalidOperationException(
                    $"Partition {partition.PartitionIndex} of '{topic.Name}' is led by broker {partition.LeaderId}, not the bootstrap broker {bootstrapId}: the load generator drives one broker.");
            }
        }

        return topic.Partitions.Count > 0;
    }

    /// <summary>The node id of the broker at the bootstrap address, or -1 when the metadata does not say.</summary>
    private static int BootstrapNodeId(MetadataResponseData metadata, LoadOptions options)
    {
        if (metadata.Brokers.Count == 1)
        {
            return metadata.Brokers[0].NodeId;
        }

        foreach (MetadataResponseData.MetadataResponseBroker broker in metadata.Brokers)
        {
            if (broker.Port == options.Port && string.Equals(broker.Host, options.Host, StringComparison.OrdinalIgnoreCase))
            {
                return broker.NodeId;
            }
        }

        return -1;
    }
}
