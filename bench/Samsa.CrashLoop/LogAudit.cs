using System.Diagnostics;
using Confluent.Kafka;

namespace Samsa.CrashLoop;

/// <summary>
/// Reads every partition from offset 0 to its current end with a fresh, group-less consumer
/// (assign, check.crcs=true) and compares what is stored with what the producers were told:
/// every acknowledged message is present, once, at the offset its acknowledgement named (one
/// acknowledged without an offset, anywhere in its partition); no
/// message of any producer (acknowledged or not) is stored twice; each producer's messages are in
/// its sequence order per partition; offsets are contiguous; every value is intact. Any consume
/// error is a problem: a torn or corrupt batch must never be readable.
/// </summary>
internal sealed class LogAudit(string bootstrapServers, CrashLoopOptions options, RunJournal journal)
{
    private const int MaxReportedPerKind = 5;

    /// <summary>Runs one audit; problems go to the journal, counts come back.</summary>
    /// <param name="ledgers">What was acknowledged so far; snapshotted before the ends are read, so every acknowledgement lies below them.</param>
    public AuditFigures Run(IReadOnlyList<DeliveryLedger> ledgers, string when)
    {
        var snapshots = new long[ledgers.Count][][];
        for (int i = 0; i < ledgers.Count; i++)
        {
            snapshots[i] = ledgers[i].Snapshot();
        }

        var figures = new AuditFigures();
        var reported = new Dictionary<string, int>(StringComparer.Ordinal);
        void Report(string kind, string detail)
        {
            reported.TryGetValue(kind, out int count);
            reported[kind] = count + 1;
            if (count < MaxReportedPerKind)
            {
                journal.Problem($"{when}: {kind}: {detail}");
            }
        }

        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "crash-loop-audit",
            GroupId = "crash-loop-audit-unused",
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            EnablePartitionEof = true,
            CheckCrcs = true,
            // Reading from 0 of a log that has never been trimmed: any reset would hide something.
            AutoOffsetReset = AutoOffsetReset.Error,
        };
        var deadline = Stopwatch.StartNew();
        using IConsumer<Ignore, string> consumer = new ConsumerBuilder<Ignore, string>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
        long[] ends = ReachAcknowledged(consumer, snapshots, deadline);
        var assignment = new List<TopicPartitionOffset>();
        for (int p = 0; p < options.Partitions; p++)
        {
            if (ends[p] > 0)
            {
                assignment.Add(new TopicPartitionOffset(options.Topic, p, Offset.Beginning));
            }
        }

        var scans = new Dictionary<(int Producer, int Partition), StreamScan>();
        long[] next = new long[options.Partitions];
        int open = assignment.Count;
        consumer.Assign(assignment);
        while (open > 0)
        {
            if (deadline.Elapsed > options.StepTimeout)
            {
                Report("stuck", $"could not read to the ends [{string.Join(", ", ends)}] in {options.StepTimeout.TotalSeconds} s; reached [{string.Join(", ", next)}]");
                break;
            }

            ConsumeResult<Ignore, string>? result;
            try
            {
                result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (ConsumeException e)
            {
                figures.ConsumeErrors++;
                Report("consume error", $"{e.Error.Code} {e.Error.Reason} at {e.ConsumerRecord?.TopicPartitionOffset}");
                continue;
            }

            if (result is null)
            {
                continue;
            }

            int partition = result.Partition.Value;
            long offset = result.Offset.Value;
            if (next[partition] >= ends[partition])
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                if (offset >= ends[partition])
                {
                    // Reached the end without a message at end - 1: the log holds less than its watermark said.
                    Report("short log", $"partition {partition} ended at {offset} after {next[partition]} but its high watermark was {ends[partition]}");
                    next[partition] = ends[partition];
                    open--;
                }

                continue;
            }

            if (offset != next[partition])
            {
                Report("offset gap", $"partition {partition}: offset {offset} follows {next[partition] - 1}");
            }

            next[partition] = offset + 1;
            figures.MessagesRead++;
            Inspect(result, scans, figures, Report);
            if (next[partition] >= ends[partition])
            {
                consumer.Pause([result.TopicPartition]);
                open--;
            }
        }

        consumer.Close();
        CompareWithAcknowledgements(snapshots, scans, figures, Report);
        return figures;
    }

    /// <summary>
    /// The high watermarks, asked until each covers every acknowledgement of the snapshot or the
    /// step timeout passes. In a cluster a newly elected leader's high watermark can trail the
    /// old leader's until the followers fetch again (Kafka's leaders behave alike); reading only
    /// to it would call the acknowledgements above it lost. One broker: the first answer covers them.
    /// </summary>
    private long[] ReachAcknowledged(IConsumer<Ignore, string> consumer, long[][][] snapshots, Stopwatch deadline)
    {
        long[] required = new long[options.Partitions];
        foreach (long[][] producer in snapshots)
        {
            for (int p = 0; p < producer.Length && p < required.Length; p++)
            {
                foreach (long offset in producer[p])
                {
                    required[p] = Math.Max(required[p], offset + 1);
                }
            }
        }

        while (true)
        {
            long[] ends = HighWatermarks.Query(consumer, options.Topic, options.Partitions, deadline, options.StepTimeout);
            bool covered = true;
            for (int p = 0; p < ends.Length; p++)
            {
                covered &= ends[p] >= required[p];
            }

            if (covered || deadline.Elapsed > options.StepTimeout / 2)
            {
                // Not covered in time: the read goes to these ends and the missing ones are reported lost.
                return ends;
            }

            Thread.Sleep(100);
        }
    }

    private static void Inspect(ConsumeResult<Ignore, string> result, Dictionary<(int, int), StreamScan> scans, AuditFigures figures, Action<string, string> report)
    {
        int partition = result.Partition.Value;
        if (!MessageValue.TryParse(result.Message.Value, out MessageValue value))
        {
            figures.Corrupt++;
            report("corrupt value", $"{result.TopicPartitionOffset}: '{result.Message.Value}'");
            return;
        }

        if (value.Partition != partition)
        {
            figures.Misplaced++;
            report("wrong partition", $"{value} stored at {result.TopicPartitionOffset}");
            return;
        }

        if (!scans.TryGetValue((value.Producer, partition), out StreamScan? scan))
        {
            scan = new StreamScan();
            scans.Add((value.Producer, partition), scan);
        }

        while (scan.Offsets.Count <= value.Sequence)
        {
            scan.Offsets.Add(-1);
        }

        if (scan.Offsets[value.Sequence] >= 0)
        {
            figures.Duplicated++;
            report("duplicate", $"{value} at offsets {scan.Offsets[value.Sequence]} and {result.Offset.Value}");
            return;
        }

        scan.Offsets[value.Sequence] = result.Offset.Value;
        if (value.Sequence < scan.LastSequence)
        {
            figures.OutOfOrder++;
            report("out of order", $"{value} at offset {result.Offset.Value} after seq {scan.LastSequence}");
        }

        scan.LastSequence = Math.Max(scan.LastSequence, value.Sequence);
    }

    private static void CompareWithAcknowledgements(long[][][] snapshots, Dictionary<(int, int), StreamScan> scans, AuditFigures figures, Action<string, string> report)
    {
        for (int producer = 0; producer < snapshots.Length; producer++)
        {
            for (int partition = 0; partition < snapshots[producer].Length; partition++)
            {
                long[] acknowledged = snapshots[producer][partition];
                scans.TryGetValue((producer, partition), out StreamScan? scan);
                for (int sequence = 0; sequence < acknowledged.Length; sequence++)
                {
                    long offset = acknowledged[sequence];
                    if (offset < 0 && offset != DeliveryLedger.PersistedWithoutOffset)
                    {
                        continue;
                    }

                    figures.AcknowledgedChecked++;
                    long stored = scan is not null && sequence < scan.Offsets.Count ? scan.Offsets[sequence] : -1;
                    if (stored < 0)
                    {
                        figures.Lost++;
                        string where = offset >= 0 ? $"at offset {offset}" : "without an offset";
                        report("lost", $"{new MessageValue(producer, partition, sequence)} acknowledged {where} is not in the log");
                    }
                    else if (offset >= 0 && stored != offset)
                    {
                        figures.Misplaced++;
                        report("moved", $"{new MessageValue(producer, partition, sequence)} acknowledged at offset {offset} is stored at {stored}");
                    }
                }
            }
        }
    }

    /// <summary>One producer's messages in one partition, as found: offset by sequence number (-1: not seen).</summary>
    private sealed class StreamScan
    {
        public List<long> Offsets { get; } = [];

        public int LastSequence { get; set; } = -1;
    }
}
