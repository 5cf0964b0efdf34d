using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Samsa.CrashLoop;

/// <summary>
/// Asks the restarted broker for the group's committed offsets (OffsetFetch through the admin
/// client, as kafka-consumer-groups.sh does) and checks each partition's against the harness's
/// record: never below the highest offset a commit reported as done (a commit the broker
/// acknowledged survives the crash), never above the log end (it cannot point past data).
/// </summary>
internal sealed class CommitAudit(string bootstrapServers, CrashLoopOptions options, RunJournal journal)
{
    /// <summary>Runs one check; returns how many partitions had a recorded commit to compare.</summary>
    /// <param name="recorded">Per partition, the highest offset a commit reported as done (-1: none), taken
    /// before this call: commits only move forward, so the broker's offset must be at least that.</param>
    public int Run(long[] recorded, string when)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        var deadline = Stopwatch.StartNew();
        long[]? stored = FetchCommitted(deadline, when);
        if (stored is null)
        {
            return 0;
        }

        long[] ends;
        using (IConsumer<Ignore, Ignore> query = HighWatermarks.OpenQueryConsumer(bootstrapServers, "crash-loop-commit-audit"))
        {
            ends = HighWatermarks.Query(query, options.Topic, options.Partitions, deadline, options.StepTimeout);

            // In a cluster a newly elected leader's high watermark trails the old one's until its
            // followers fetch again, and the group may have committed up to the old one: ask again
            // until it covers the commits (or the step times out, and the check below reports it).
            while (AnyPast(stored, ends) && deadline.Elapsed < options.StepTimeout)
            {
                Thread.Sleep(100);
                ends = HighWatermarks.Query(query, options.Topic, options.Partitions, deadline, options.StepTimeout);
            }
        }

        int checkedPartitions = 0;
        for (int p = 0; p < options.Partitions; p++)
        {
            if (recorded[p] >= 0)
            {
                checkedPartitions++;
                if (stored[p] < recorded[p])
                {
                    journal.Problem($"{when}: committed offset of partition {p} went backwards: the broker has {Describe(stored[p])}, a commit of {recorded[p]} had succeeded");
                }
            }

            if (stored[p] > ends[p])
            {
                journal.Problem($"{when}: committed offset of partition {p} is {stored[p]}, past the log end {ends[p]}");
            }
        }

        return checkedPartitions;
    }

    private static bool AnyPast(long[] stored, long[] ends)
    {
        for (int p = 0; p < stored.Length; p++)
        {
            if (stored[p] > ends[p])
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(long offset) => offset < 0 ? "no committed offset" : offset.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private long[]? FetchCommitted(Stopwatch deadline, string when)
    {
        var partitions = new List<TopicPartition>();
        for (int p = 0; p < options.Partitions; p++)
        {
            partitions.Add(new TopicPartition(options.Topic, p));
        }

        using IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers, ClientId = "crash-loop-commit-audit" })
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
        string lastError = "";
        while (deadline.Elapsed < options.StepTimeout)
        {
            try
            {
                List<ListConsumerGroupOffsetsResult> results = admin
                    .ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(options.Group, partitions)], new ListConsumerGroupOffsetsOptions { RequestTimeout = TimeSpan.FromSeconds(10) })
                    .GetAwaiter().GetResult();
                long[] stored = new long[options.Partitions];
                bool complete = true;
                foreach (TopicPartitionOffsetError result in results[0].Partitions)
                {
                    if (result.Error.IsError)
                    {
                        complete = false;
                        lastError = result.Error.ToString();
                        break;
                    }

                    stored[result.Partition.Value] = result.Offset.Value < 0 ? -1 : result.Offset.Value;
                }

                if (complete)
                {
                    return stored;
                }
            }
            catch (KafkaException e)
            {
                // The coordinator may still be loading the offsets topic after the restart (COORDINATOR_LOAD_IN_PROGRESS).
                lastError = e.Error.ToString();
            }

            Thread.Sleep(100);
        }

        journal.Problem($"{when}: the group's committed offsets could not be fetched in {options.StepTimeout.TotalSeconds} s: {lastError}");
        return null;
    }
}
