using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;

namespace Samsa.Broker.Controller;

/// <summary>
/// Leader elections asked for by an admin (ElectLeaders) or by the periodic leader-balance check
/// (auto.leader.rebalance.enable): leadership goes back to the preferred replica, the first of the
/// assignment, when it is live and in the ISR.
/// </summary>
internal sealed partial class KafkaController
{
    /// <summary>ElectLeaders' election types.</summary>
    internal const sbyte PreferredElection = 0;
    internal const sbyte UncleanElection = 1;

    /// <param name="partitions">The partitions to elect for; null means every partition (then partitions needing no election are left out of the answer).</param>
    public Task<IReadOnlyList<PartitionElectionResult>?> ElectLeadersAsync(sbyte electionType, IReadOnlyList<(string Topic, int Partition)>? partitions, CancellationToken cancellationToken) =>
        RunToEndAsync(stopping => ElectLeadersOnLoopAsync(electionType, partitions, stopping), cancellationToken);

    /// <returns>Null when this broker is not the controller.</returns>
    private async Task<IReadOnlyList<PartitionElectionResult>?> ElectLeadersOnLoopAsync(sbyte electionType, IReadOnlyList<(string Topic, int Partition)>? partitions, CancellationToken cancellationToken)
    {
        if (!_isActive)
        {
            return null;
        }

        bool all = partitions is null;
        partitions ??= AllPartitions();
        var results = new List<PartitionElectionResult>(partitions.Count);
        var changed = new List<(string, int)>();
        string? storeFailure = null;
        foreach ((string topic, int partition) in partitions)
        {
            ErrorCode error;
            string? message;
            if (storeFailure is not null)
            {
                (error, message) = (ErrorCode.RequestTimedOut, storeFailure);
            }
            else
            {
                try
                {
                    (error, message) = await ElectOneAsync(electionType, topic, partition, cancellationToken).ConfigureAwait(false);
                }
                catch (CoordinationException e) when (_isActive)
                {
                    // The store failed for good (a fenced controller resigned and lets it through: the
                    // handler answers NOT_CONTROLLER). Kafka answers a partition whose election did not
                    // complete in time REQUEST_TIMED_OUT (DelayedElectLeader); those elected before
                    // stand and are still sent, the rest are not tried on a store that is down.
                    storeFailure = StoreFailure.Message(e);
                    (error, message) = (ErrorCode.RequestTimedOut, storeFailure);
                }
            }

            if (error == ErrorCode.None)
            {
                changed.Add((topic, partition));
            }

            if (!all || error != ErrorCode.ElectionNotNeeded)
            {
                results.Add(new PartitionElectionResult(topic, partition, error, message));
            }
        }

        if (changed.Count > 0)
        {
            await SendAsync(changed, TopicsOf(changed), cancellationToken).ConfigureAwait(false);
        }

        return results;
    }

    private async Task<(ErrorCode, string?)> ElectOneAsync(sbyte electionType, string topic, int partition, CancellationToken cancellationToken)
    {
        if (!_topics.TryGetValue(topic, out TopicInfo? info)
            || !info.Partitions.TryGetValue(partition, out int[]? replicas)
            || !_partitions.TryGetValue((topic, partition), out PartitionLeadership? current))
        {
            return (ErrorCode.UnknownTopicOrPartition, "The partition does not exist.");
        }

        PartitionStateZNode state = current.State;
        PartitionStateZNode next;
        if (electionType == UncleanElection)
        {
            if (IsReplicaOnline(state.Leader, topic, partition))
            {
                return (ErrorCode.ElectionNotNeeded, "Leader election not needed for topic partition.");
            }

            int leader = FirstEligible(topic, partition, replicas, state.Isr) ?? FirstEligible(topic, partition, replicas, null) ?? PartitionStateZNode.NoLeader;
            if (leader == PartitionStateZNode.NoLeader)
            {
                return (ErrorCode.EligibleLeadersNotAvailable, $"Failed to elect leader for partition {topic}-{partition} under strategy UncleanLeaderElectionStrategy.");
            }

            int[] isr = Array.IndexOf(state.Isr, leader) >= 0 ? LiveMembers(topic, partition, state.Isr) : [leader];
            next = new PartitionStateZNode(_epoch, leader, state.LeaderEpoch + 1, isr);
        }
        else
        {
            int preferred = replicas[0];
            if (state.Leader == preferred)
            {
                return (ErrorCode.ElectionNotNeeded, "Leader election not needed for topic partition.");
            }

            if (!IsReplicaOnline(preferred, topic, partition) || Array.IndexOf(state.Isr, preferred) < 0)
            {
                return (ErrorCode.PreferredLeaderNotAvailable, $"Failed to elect leader for partition {topic}-{partition} under strategy PreferredReplicaPartitionLeaderElectionStrategy.");
            }

            next = new PartitionStateZNode(_epoch, preferred, state.LeaderEpoch + 1, state.Isr);
        }

        return await WritePartitionStateAsync(topic, partition, next, cancellationToken).ConfigureAwait(false)
            ? (ErrorCode.None, null)
            : (ErrorCode.NotController, "The partition state changed underneath the controller.");
    }

    private int? FirstEligible(string topic, int partition, int[] replicas, int[]? among)
    {
        foreach (int replica in replicas)
        {
            if (IsReplicaOnline(replica, topic, partition) && (among is null || Array.IndexOf(among, replica) >= 0))
            {
                return replica;
            }
        }

        return null;
    }

    private int[] LiveMembers(string topic, int partition, int[] isr)
    {
        var live = new List<int>(isr.Length);
        foreach (int member in isr)
        {
            if (IsReplicaOnline(member, topic, partition))
            {
                live.Add(member);
            }
        }

        return [.. live];
    }

    private static HashSet<string> TopicsOf(List<(string Topic, int Partition)> partitions)
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string topic, _) in partitions)
        {
            topics.Add(topic);
        }

        return topics;
    }

    /// <summary>Every leader.imbalance.check.interval.seconds, on the controller loop, while this broker leads.</summary>
    private async Task RunLeaderRebalanceAsync(CancellationToken stopping)
    {
        TimeSpan interval = _options.LeaderImbalanceCheckInterval > TimeSpan.Zero ? _options.LeaderImbalanceCheckInterval : TimeSpan.FromSeconds(1);
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                await _loop.SubmitAsync(
                    async () =>
                    {
                        await RebalanceLeadersAsync(stopping).ConfigureAwait(false);
                        return true;
                    },
                    stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Kafka's check: per preferred broker, the share of its preferred partitions led by someone
    /// else; above leader.imbalance.per.broker.percentage, those whose preferred replica can lead
    /// (live, in the ISR) move back to it.
    /// </summary>
    private async Task RebalanceLeadersAsync(CancellationToken cancellationToken)
    {
        if (!_isActive)
        {
            return;
        }

        var preferredCount = new Dictionary<int, int>();
        var misplaced = new Dictionary<int, List<(string, int)>>();
        foreach (TopicInfo topic in _topics.Values)
        {
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                if (replicas.Length == 0 || !_partitions.TryGetValue((topic.Name, partition), out PartitionLeadership? leadership))
                {
                    continue;
                }

                int preferred = replicas[0];
                preferredCount[preferred] = preferredCount.GetValueOrDefault(preferred) + 1;
                if (leadership.State.Leader != preferred)
                {
                    if (!misplaced.TryGetValue(preferred, out List<(string, int)>? list))
                    {
                        list = [];
                        misplaced[preferred] = list;
                    }

                    list.Add((topic.Name, partition));
                }
            }
        }

        var candidates = new List<(string Topic, int Partition)>();
        foreach ((int broker, List<(string, int)> partitions) in misplaced)
        {
            if (partitions.Count * 100 > _options.LeaderImbalancePerBrokerPercentage * preferredCount[broker] && IsEligible(broker))
            {
                candidates.AddRange(partitions);
            }
        }

        if (candidates.Count == 0)
        {
            return;
        }

        var changed = new List<(string, int)>();
        foreach ((string topic, int partition) in candidates)
        {
            (ErrorCode error, _) = await ElectOneAsync(PreferredElection, topic, partition, cancellationToken).ConfigureAwait(false);
            if (error == ErrorCode.None)
            {
                changed.Add((topic, partition));
            }
        }

        if (changed.Count > 0)
        {
            await SendAsync(changed, TopicsOf(changed), cancellationToken).ConfigureAwait(false);
        }
    }
}
