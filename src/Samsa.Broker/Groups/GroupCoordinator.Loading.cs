using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Broker.Groups;

/// <summary>Becoming leader of an offsets partition (load its groups) and losing it (drop them).</summary>
internal sealed partial class GroupCoordinator
{
    /// <summary>From <see cref="LocalPartitions"/> on the controller's thread, after a LeaderAndIsr was applied.</summary>
    private void OnLeadershipChanged(Partition partition)
    {
        if (partition.Id.Topic != OffsetsTopic.Name)
        {
            return;
        }

        if (partition.IsLeader)
        {
            OnElection(partition.Id.Partition, partition.LeaderEpoch);
        }
        else
        {
            OnResignation(partition.Id.Partition);
        }
    }

    private void OnPartitionRemoved(TopicPartition id)
    {
        if (id.Topic == OffsetsTopic.Name)
        {
            OnResignation(id.Partition);
        }
    }

    /// <summary>This broker now leads offsets partition <paramref name="partition"/>: load its groups (internal: tests drive it).</summary>
    internal void OnElection(int partition, int leaderEpoch)
    {
        lock (_lock)
        {
            if (_shutDown)
            {
                return;
            }

            if (_owned.TryGetValue(partition, out OffsetsPartitionOwnership? owned))
            {
                // Still the leader (an ISR change re-sends LeaderAndIsr): what is loaded stays.
                owned.LeaderEpoch = Math.Max(owned.LeaderEpoch, leaderEpoch);
                return;
            }

            owned = new OffsetsPartitionOwnership(partition, leaderEpoch);
            _owned[partition] = owned;
            _loads[partition] = Task.Run(() => Load(owned));
        }
    }

    /// <summary>This broker no longer leads the partition: its groups go (internal: tests drive it).</summary>
    internal void OnResignation(int partition)
    {
        lock (_lock)
        {
            if (!_owned.Remove(partition))
            {
                return;
            }

            var dropped = new List<ClassicGroup>();
            foreach (ClassicGroup group in _groups.Values)
            {
                if (group.Partition == partition)
                {
                    dropped.Add(group);
                }
            }

            foreach (ClassicGroup group in dropped)
            {
                FailParkedRequests(group, ErrorCode.NotCoordinator);
                RemoveGroup(group);
            }

            Info($"Unloaded {dropped.Count} groups of {OffsetsTopic.Name}-{partition}.");
        }
    }

    /// <summary>
    /// Reads the partition up to its log end and installs its groups, unless leadership moved
    /// meanwhile. Not to the high watermark: a leader that restarted (kill -9) starts from its
    /// checkpointed high watermark, seconds old, and would forget commits it had acknowledged
    /// (the cluster chaos loop saw committed offsets go backwards). As leader, everything in its
    /// log is what followers will copy; Kafka's GroupMetadataManager loads to the log end too.
    /// </summary>
    private void Load(OffsetsPartitionOwnership owned)
    {
        int partition = owned.Partition;
        try
        {
            Partition? replica = _partitions.Get(OffsetsTopic.Name, partition);
            Dictionary<string, ClassicGroup> groups = replica is null
                ? []
                : OffsetsPartitionLoader.Load(replica.Log, replica.LogEndOffset, partition, NowMs, _options.ConsumerSessionTimeoutMs, out _);
            lock (_lock)
            {
                _loads.Remove(partition);
                if (_shutDown || _owned.GetValueOrDefault(partition) != owned)
                {
                    return;
                }

                foreach ((string groupId, ClassicGroup group) in groups)
                {
                    _groups[groupId] = group;
                }

                owned.IsLoaded = true;
            }

            if (groups.Count > 0)
            {
                Info($"Finished loading offsets and group metadata from {OffsetsTopic.Name}-{partition}: {groups.Count} groups.");
            }
        }
        catch (Exception e) when (e is StorageException or IOException or ProtocolException)
        {
            // The partition stays "loading" (clients retry); a broken offsets log needs an operator.
            Warn($"Failed to load {OffsetsTopic.Name}-{partition}: {e.Message}");
            lock (_lock)
            {
                _loads.Remove(partition);
            }
        }
    }
}
