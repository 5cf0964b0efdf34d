using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Samsa.Protocol.Messages;
using Samsa.Testing;

namespace Samsa.CrashLoop;

/// <summary>
/// Whether the cluster has healed after a fault, as every broker sees it: each broker answers
/// Metadata itself (<see cref="BrokerMetadataProbe"/>) with every broker registered, the same
/// controller, and every partition of every topic (the chaos topic and __consumer_offsets) with
/// a leader, its whole replica set in sync and none offline; and all brokers agree on each
/// partition's leader. Asking one broker is not enough: one resumed from a long SIGSTOP answers
/// from its stale cache (a "healed in 0.0 s" while the others still miss it), and so does one the
/// controller has not yet told of a change.
/// </summary>
internal sealed class ClusterHealth(KafkaCluster cluster, int brokers)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>What the last look at the cluster showed, for the failure message of a cluster that did not heal.</summary>
    public string LastSeen { get; private set; } = "(nothing asked yet)";

    /// <summary>Polls until healed or <paramref name="timeout"/>; returns how long it took, or null if it did not heal.</summary>
    public async Task<TimeSpan?> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        bool healed = await Polling.TryUntilAsync(() => IsHealedAsync(cancellationToken), timeout, PollInterval, cancellationToken).ConfigureAwait(false);
        return healed ? clock.Elapsed : null;
    }

    private async Task<bool> IsHealedAsync(CancellationToken cancellationToken)
    {
        bool healed = true;
        var seen = new StringBuilder();
        int? controller = null;
        Dictionary<(string Topic, int Partition), int>? leaders = null;
        foreach (BrokerProcess broker in cluster.Brokers)
        {
            MetadataResponseData metadata;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(RequestTimeout);
                try
                {
                    metadata = await BrokerMetadataProbe.AskAsync(broker.Port, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    LastSeen = string.Create(CultureInfo.InvariantCulture, $"broker {broker.BrokerId} did not answer Metadata: {e.Message}");
                    return false;
                }
            }

            seen.Append(seen.Length == 0 ? "" : "; ")
                .Append(CultureInfo.InvariantCulture, $"broker {broker.BrokerId} sees {metadata.Brokers.Count} brokers, controller {metadata.ControllerId}");
            if (metadata.Brokers.Count != brokers || metadata.ControllerId < 0 || (controller is int agreed && agreed != metadata.ControllerId))
            {
                healed = false;
            }

            controller ??= metadata.ControllerId;
            var mine = new Dictionary<(string, int), int>();
            foreach (MetadataResponseData.MetadataResponseTopic topic in metadata.Topics)
            {
                if (topic.ErrorCode != 0)
                {
                    healed = false;
                    seen.Append(CultureInfo.InvariantCulture, $", {topic.Name}: error {topic.ErrorCode}");
                    continue;
                }

                foreach (MetadataResponseData.MetadataResponsePartition partition in topic.Partitions)
                {
                    mine[(topic.Name ?? "", partition.PartitionIndex)] = partition.LeaderId;
                    bool whole = partition.LeaderId >= 0
                        && partition.IsrNodes.Count == partition.ReplicaNodes.Count
                        && partition.OfflineReplicas.Count == 0
                        && partition.ErrorCode == 0;
                    if (!whole)
                    {
                        healed = false;
                        seen.Append(CultureInfo.InvariantCulture, $", {topic.Name}-{partition.PartitionIndex} leader {partition.LeaderId} replicas [{string.Join(',', partition.ReplicaNodes)}] isr [{string.Join(',', partition.IsrNodes)}] offline [{string.Join(',', partition.OfflineReplicas)}] error {partition.ErrorCode}");
                    }
                }
            }

            if (leaders is null)
            {
                leaders = mine;
            }
            else if (!SameLeaders(leaders, mine))
            {
                healed = false;
                seen.Append(", leaders differ from broker ").Append(cluster.Brokers[0].BrokerId.ToString(CultureInfo.InvariantCulture)).Append("'s");
            }
        }

        LastSeen = seen.ToString();
        return healed;
    }

    private static bool SameLeaders(Dictionary<(string, int), int> first, Dictionary<(string, int), int> other)
    {
        if (first.Count != other.Count)
        {
            return false;
        }

        foreach (((string, int) partition, int leader) in first)
        {
            if (!other.TryGetValue(partition, out int otherLeader) || otherLeader != leader)
            {
                return false;
            }
        }

        return true;
    }
}
