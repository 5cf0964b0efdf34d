using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.CrashLoop;

/// <summary>
/// Whether the cluster has healed after a fault, as a client sees it: every broker registered, a
/// controller elected, and every partition of every topic (the chaos topic and __consumer_offsets)
/// with a leader and its whole replica set in sync.
/// </summary>
internal sealed class ClusterHealth(IAdminClient admin, int brokers)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>What the last look at the cluster showed, for the failure message of a cluster that did not heal.</summary>
    public string LastSeen { get; private set; } = "(nothing asked yet)";

    /// <summary>Polls until healed or <paramref name="timeout"/>; returns how long it took, or null if it did not heal.</summary>
    public async Task<TimeSpan?> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        bool healed = await Polling.TryUntilAsync(IsHealedAsync, timeout, PollInterval, cancellationToken).ConfigureAwait(false);
        return healed ? clock.Elapsed : null;
    }

    private async Task<bool> IsHealedAsync()
    {
        Metadata metadata;
        int controller;
        try
        {
            metadata = admin.GetMetadata(RequestTimeout);
            controller = (await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = RequestTimeout }).ConfigureAwait(false)).Controller?.Id ?? -1;
        }
        catch (KafkaException e)
        {
            LastSeen = "metadata not answered: " + e.Error;
            return false;
        }

        bool healed = metadata.Brokers.Count == brokers && controller >= 0;
        var seen = new StringBuilder();
        seen.Append(CultureInfo.InvariantCulture, $"{metadata.Brokers.Count} brokers, controller {controller}, answered by {metadata.OriginatingBrokerId}");
        foreach (TopicMetadata topic in metadata.Topics)
        {
            if (topic.Error.IsError)
            {
                healed = false;
                seen.Append(CultureInfo.InvariantCulture, $"; {topic.Topic}: {topic.Error.Code}");
                continue;
            }

            foreach (PartitionMetadata partition in topic.Partitions)
            {
                bool whole = partition.Leader >= 0 && partition.InSyncReplicas.Length == partition.Replicas.Length && !partition.Error.IsError;
                if (!whole)
                {
                    healed = false;
                    seen.Append(CultureInfo.InvariantCulture, $"; {topic.Topic}-{partition.PartitionId} leader {partition.Leader} replicas [{string.Join(',', partition.Replicas)}] isr [{string.Join(',', partition.InSyncReplicas)}] {partition.Error.Code}");
                }
            }
        }

        LastSeen = seen.ToString();
        return healed;
    }
}
