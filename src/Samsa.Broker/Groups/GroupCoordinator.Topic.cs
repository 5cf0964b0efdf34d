using System.Globalization;
using Samsa.Broker.Configuration;
using Samsa.Broker.Controller;
using Samsa.Broker.Metadata;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Broker.Groups;

/// <summary>Finding a group's coordinator, creating __consumer_offsets on first use.</summary>
internal sealed partial class GroupCoordinator
{
    private Task? _topicCreation;

    /// <summary>
    /// The coordinator of <paramref name="groupId"/> for clients of <paramref name="listener"/>:
    /// the leader of the group's offsets partition. The topic is created on the first lookup;
    /// COORDINATOR_NOT_AVAILABLE while it does not exist or the partition has no leader.
    /// </summary>
    public async Task<CoordinatorLookup> FindCoordinatorAsync(string groupId, string listener, CancellationToken cancellationToken)
    {
        if (_metadata.Current.Topic(OffsetsTopic.Name) is null)
        {
            await EnsureOffsetsTopicAsync(cancellationToken).ConfigureAwait(false);
        }

        MetadataCache.Snapshot snapshot = _metadata.Current;
        TopicState? topic = snapshot.Topic(OffsetsTopic.Name);
        if (topic is null || topic.Partitions.Length == 0)
        {
            return CoordinatorLookup.Failed(ErrorCode.CoordinatorNotAvailable);
        }

        PartitionState? partition = snapshot.Partition(OffsetsTopic.Name, OffsetsTopic.PartitionFor(groupId, topic.Partitions.Length));
        if (partition is null || partition.Leader < 0 || !snapshot.Brokers.TryGetValue(partition.Leader, out BrokerNode? leader))
        {
            return CoordinatorLookup.Failed(ErrorCode.CoordinatorNotAvailable);
        }

        BrokerEndpoint? endpoint = leader.EndpointFor(listener);
        return endpoint is null
            ? CoordinatorLookup.Failed(ErrorCode.CoordinatorNotAvailable)
            : new CoordinatorLookup(ErrorCode.None, leader.Id, endpoint);
    }

    /// <summary>Creates __consumer_offsets once; concurrent lookups share the one creation.</summary>
    private async Task EnsureOffsetsTopicAsync(CancellationToken cancellationToken)
    {
        Task creation;
        lock (_lock)
        {
            if (_shutDown || _controller is null)
            {
                return;
            }

            KafkaController controller = _controller;
            CancellationToken stopping = _stopping.Token; // read under the lock: DisposeAsync disposes it after _shutDown
            creation = _topicCreation ??= Task.Run(() => CreateOffsetsTopicAsync(controller, stopping), CancellationToken.None);
        }

        // The creation never throws (it logs and ends); a lookup that runs out waits no longer.
        await creation.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CreateOffsetsTopicAsync(KafkaController controller, CancellationToken stopping)
    {
        try
        {
            int liveBrokers = Math.Max(_metadata.Current.Brokers.Count, 1);
            int replicationFactor = Math.Min(_options.OffsetsTopicReplicationFactor, liveBrokers);
            var configs = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [LogConfig.CleanupPolicyKey] = "compact",
                [LogConfig.SegmentBytesKey] = _options.OffsetsTopicSegmentBytes.ToString(CultureInfo.InvariantCulture),
                [BrokerConfigDefinition.CompressionType] = "producer",
            };
            IReadOnlyList<TopicCreationResult> results = await controller.AutoCreateTopicsAsync(
                [new TopicCreation(OffsetsTopic.Name, _options.OffsetsTopicNumPartitions, replicationFactor, null, configs)],
                stopping).ConfigureAwait(false);
            TopicCreationResult result = results[0];
            if (result.Error == ErrorCode.None)
            {
                Info($"Created {OffsetsTopic.Name} with {_options.OffsetsTopicNumPartitions} partitions and replication factor {replicationFactor}.");
            }
            else if (result.Error != ErrorCode.TopicAlreadyExists)
            {
                Warn($"Could not create {OffsetsTopic.Name}: {result.Error} {result.Message}");
            }
        }
        catch (OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // Any failure (connection loss, a controller that stopped) is retried by the next lookup.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Warn($"Could not create {OffsetsTopic.Name}, the next coordinator lookup tries again: {e.Message}");
        }
        finally
        {
            lock (_lock)
            {
                // A failed creation (not the controller, too few brokers) is retried on the next lookup.
                _topicCreation = null;
            }
        }
    }
}
