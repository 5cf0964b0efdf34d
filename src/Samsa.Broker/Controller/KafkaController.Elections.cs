using Samsa.Broker.Configuration;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;

namespace Samsa.Broker.Controller;

/// <summary>
/// Leader election and ISR upkeep when brokers fail or start (Kafka's partition and replica state
/// machines, ZooKeeper mode), run on the controller loop. Every change bumps the leader epoch and
/// is written to the partition's state znode with compare-and-set before anyone is told.
/// </summary>
internal sealed partial class KafkaController
{
    /// <summary>A broker that may lead or be in an ISR: registered and not in a controlled shutdown.</summary>
    private bool IsEligible(int brokerId) => _liveBrokers.ContainsKey(brokerId) && !_shuttingDown.Contains(brokerId);

    /// <summary>
    /// The partitions the failed brokers hosted get new leaders (first eligible ISR member in
    /// assignment order) and lose the failed brokers from their ISRs; then every live broker hears.
    /// </summary>
    private async Task OnBrokersFailedAsync(HashSet<int> failed, CancellationToken cancellationToken)
    {
        var changed = new List<(string, int)>();
        foreach (TopicInfo topic in _topics.Values)
        {
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                if (!HostsAny(replicas, failed) || !_partitions.TryGetValue((topic.Name, partition), out PartitionLeadership? current))
                {
                    continue;
                }

                PartitionStateZNode? next = await ReelectAsync(topic.Name, current.State, replicas, id => IsReplicaOnline(id, topic.Name, partition) && !failed.Contains(id), cancellationToken).ConfigureAwait(false);
                if (next is not null && await WritePartitionStateAsync(topic.Name, partition, next, cancellationToken).ConfigureAwait(false))
                {
                    changed.Add((topic.Name, partition));
                }
            }
        }

        await SendAsync(changed, [.. _topics.Keys], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// On becoming controller: partitions led by a broker that is gone, or with gone brokers in
    /// their ISR, are handled as if those brokers had just failed. Only the state is written here;
    /// the caller sends everything afterwards.
    /// </summary>
    private async Task ElectForUnavailableBrokersAsync(CancellationToken cancellationToken)
    {
        foreach (TopicInfo topic in _topics.Values)
        {
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                if (!_partitions.TryGetValue((topic.Name, partition), out PartitionLeadership? current))
                {
                    continue;
                }

                PartitionStateZNode? next = await ReelectAsync(topic.Name, current.State, replicas, id => IsReplicaOnline(id, topic.Name, partition), cancellationToken).ConfigureAwait(false);
                if (next is not null)
                {
                    await WritePartitionStateAsync(topic.Name, partition, next, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Started brokers get LeaderAndIsr for all their replicas and everyone gets fresh metadata;
    /// offline partitions whose ISR member came back get a leader again.
    /// </summary>
    private async Task OnBrokersStartedAsync(HashSet<int> started, CancellationToken cancellationToken)
    {
        var changed = new List<(string, int)>();
        foreach (TopicInfo topic in _topics.Values)
        {
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                if (!_partitions.TryGetValue((topic.Name, partition), out PartitionLeadership? current) || IsReplicaOnline(current.State.Leader, topic.Name, partition))
                {
                    continue;
                }

                PartitionStateZNode? next = await ReelectAsync(topic.Name, current.State, replicas, id => IsReplicaOnline(id, topic.Name, partition), cancellationToken).ConfigureAwait(false);
                if (next is not null && next.Leader != PartitionStateZNode.NoLeader && await WritePartitionStateAsync(topic.Name, partition, next, cancellationToken).ConfigureAwait(false))
                {
                    changed.Add((topic.Name, partition));
                }
            }
        }

        await InitializeMissingLeadershipAsync(cancellationToken).ConfigureAwait(false);
        await SendAsync(changed, [.. _topics.Keys], cancellationToken, started).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="Reelect"/>, falling back to an unclean election when no ISR member can lead and
    /// the topic allows it (its own unclean.leader.election.enable, else the broker's). The
    /// topic's config is read only then, as Kafka's controller does: it is rarely needed.
    /// </summary>
    private async Task<PartitionStateZNode?> ReelectAsync(string topic, PartitionStateZNode current, int[] replicas, Func<int, bool> eligible, CancellationToken cancellationToken)
    {
        PartitionStateZNode? next = Reelect(current, replicas, eligible);
        if ((next ?? current).Leader == PartitionStateZNode.NoLeader && await UncleanElectionEnabledAsync(topic, cancellationToken).ConfigureAwait(false))
        {
            next = Reelect(current, replicas, eligible, unclean: true);
        }

        return next;
    }

    /// <summary>
    /// unclean.leader.election.enable as Kafka resolves it for a topic: the topic's own config, else
    /// this (the controller's) broker's dynamic config, else the cluster-wide dynamic default, else
    /// server.properties.
    /// </summary>
    private async Task<bool> UncleanElectionEnabledAsync(string topic, CancellationToken cancellationToken)
    {
        // The stores read a malformed node as empty, so a bad config never stops an election.
        TopicConfigStore.Overrides own = await new TopicConfigStore(_store).ReadAsync(topic, cancellationToken).ConfigureAwait(false);
        if (UncleanIn(own.Config) is bool byTopic)
        {
            return byTopic;
        }

        var brokers = new BrokerConfigStore(_store);
        foreach (string entity in new[] { BrokerConfigStore.BrokerEntity(_brokerId), BrokerConfigStore.DefaultEntity })
        {
            BrokerConfigStore.Entry entry = await brokers.ReadAsync(entity, cancellationToken).ConfigureAwait(false);
            if (UncleanIn(entry.Config) is bool byBroker)
            {
                return byBroker;
            }
        }

        return _options.UncleanLeaderElectionEnable;
    }

    private static bool? UncleanIn(IReadOnlyDictionary<string, string> config) =>
        config.TryGetValue(BrokerConfigDefinition.UncleanLeaderElectionEnable, out string? value) && bool.TryParse(value, out bool enabled) ? enabled : null;

    /// <summary>
    /// The state after removing ineligible brokers: the leader stays if it still may lead, else the
    /// first eligible ISR member in assignment order leads (or, with <paramref name="unclean"/>, the
    /// first eligible replica at all). Null when nothing changes.
    /// <para>
    /// With no eligible ISR member the partition goes offline (leader -1) but keeps its last ISR
    /// member, as Kafka does: only that replica is known to have every acknowledged record, so it
    /// must be the one to lead when it comes back.
    /// </para>
    /// </summary>
    private PartitionStateZNode? Reelect(PartitionStateZNode current, int[] replicas, Func<int, bool> eligible, bool unclean = false)
    {
        var isr = new List<int>(current.Isr.Length);
        foreach (int replica in current.Isr)
        {
            if (eligible(replica))
            {
                isr.Add(replica);
            }
        }

        int leader = PartitionStateZNode.NoLeader;
        if (current.Leader != PartitionStateZNode.NoLeader && isr.Contains(current.Leader))
        {
            leader = current.Leader;
        }
        else
        {
            foreach (int replica in replicas)
            {
                if (isr.Contains(replica))
                {
                    leader = replica;
                    break;
                }
            }
        }

        if (leader == PartitionStateZNode.NoLeader && unclean)
        {
            foreach (int replica in replicas)
            {
                if (eligible(replica))
                {
                    leader = replica;
                    isr = [replica];
                    break;
                }
            }
        }

        if (isr.Count == 0)
        {
            isr = current.Isr.Length > 0 && Array.IndexOf(current.Isr, current.Leader) >= 0 ? [current.Leader]
                : current.Isr.Length > 0 ? [current.Isr[0]]
                : [];
        }

        if (leader == current.Leader && SameMembers(isr, current.Isr))
        {
            return null;
        }

        return new PartitionStateZNode(_epoch, leader, current.LeaderEpoch + 1, [.. isr]);
    }

    /// <summary>
    /// Writes a partition's new state with compare-and-set on the version we last saw. False (and
    /// our copy refreshed) when someone else wrote it in between; the caller then skips it. A write
    /// whose answer was lost is sent again; the BadVersion that meets it when the first attempt was
    /// applied is recognised by the stored state being exactly ours, one version on.
    /// </summary>
    private async Task<bool> WritePartitionStateAsync(string topic, int partition, PartitionStateZNode state, CancellationToken cancellationToken)
    {
        PartitionLeadership current = _partitions[(topic, partition)];
        string path = ZkPaths.TopicPartitionState(topic, partition);
        ReadOnlyMemory<byte> data = state.Encode();
        CoordinationOp[] write = [CoordinationOp.SetData(path, data, current.ZkVersion)];
        int attempts = 0;
        try
        {
            IReadOnlyList<CoordinationOpResult> results = await ConnectionLoss.ResendAsync(() =>
            {
                attempts++;
                return WriteFencedAsync(write, cancellationToken);
            }).ConfigureAwait(false);
            int version = results[^1].Stat?.Version ?? current.ZkVersion + 1;
            _partitions[(topic, partition)] = new PartitionLeadership(state, version);
            return true;
        }
        catch (CoordinationException e) when (e.Error is CoordinationError.BadVersion or CoordinationError.NoNode && _isActive)
        {
            NodeData? stored = await _store.GetDataAsync(path, null, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return false;
            }

            _partitions[(topic, partition)] = new PartitionLeadership(PartitionStateZNode.Decode(stored.Data.Span), stored.Stat.Version);
            return attempts > 1 && stored.Stat.Version == current.ZkVersion + 1 && stored.Data.Span.SequenceEqual(data.Span);
        }
    }

    private static bool HostsAny(int[] replicas, HashSet<int> brokers)
    {
        foreach (int replica in replicas)
        {
            if (brokers.Contains(replica))
            {
                return true;
            }
        }

        return false;
    }

    private static bool SameMembers(List<int> a, int[] b)
    {
        if (a.Count != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }

        return true;
    }
}
