using System.Buffers;
using System.Globalization;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Log;
using static Samsa.Benchmarks.Storage.RoundTimes;

namespace Samsa.Benchmarks.Storage;

/// <summary>
/// A stopwatch breakdown of one append pass (64 MiB, page cache only), to explain a gap between
/// <see cref="StorageAppendBenchmarks"/>' log and plain-file rows: the batch CRC check alone, the
/// plain write, the log append, each the median of alternating rounds on fresh files; and the
/// receive side's copy with and without chunk CRCs (<see cref="ChunkedCrc32C"/>) and the check
/// joined from them, which together stand in for the CRC check where the broker receives a
/// large Produce request.
/// Run with <c>dotnet run -c Release --project bench/Samsa.Benchmarks -- storage-breakdown [rounds] [crc|plain|log]</c>;
/// naming one pass runs only that one, so a profiler (<c>perf record</c>) attached to the process
/// sees one side of the comparison alone.
/// </summary>
internal static class StorageAppendBreakdown
{
    private static readonly TopicPartition Partition = new("bench", 0);

    public static void Run(int rounds, string? only = null)
    {
        bool All(string pass) => only is null || only == pass;
        foreach (int batchBytes in (int[])[16 * 1024, 1024 * 1024])
        {
            byte[] batch = StorageBenchmarkData.BuildBatch(batchBytes);
            int batches = StorageBenchmarkData.BatchesPerOperation(batch.Length);
            string root = StorageBenchmarkData.CreateScratchDirectory("breakdown");
            var crc = new List<double>();
            var plain = new List<double>();
            var log = new List<double>();
            var copy = new List<double>();
            var chunkedCopy = new List<double>();
            var joinedCheck = new List<double>();
            var received = new ReadOnlySequence<byte>(batch.ToArray());
            ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(received, batch);
            try
            {
                for (int round = 0; round < rounds; round++)
                {
                    if (All("crc"))
                    {
                        crc.Add(Time(() =>
                    {
                        for (int i = 0; i < batches; i++)
                        {
                            if (RecordBatch.TryValidate(batch) != RecordBatchStatus.Valid)
                            {
                                throw new InvalidOperationException("invalid batch");
                            }
                        }
                    }));
                    }

                    if (All("plain"))
                    {
                        plain.Add(PlainPass(root, batch, batches));
                    }

                    if (only is null)
                    {
                        // The receive side (StorageAppendBenchmarks' Received): the copy out of the
                        // socket's buffers, the same copy taking chunk CRCs, and the check joined from them.
                        copy.Add(Time(() =>
                        {
                            for (int i = 0; i < batches; i++)
                            {
                                received.CopyTo(batch);
                            }
                        }));
                        chunkedCopy.Add(Time(() =>
                        {
                            for (int i = 0; i < batches; i++)
                            {
                                checksums = ChunkedCrc32C.CopyFrom(received, batch);
                            }
                        }));
                        joinedCheck.Add(Time(() =>
                        {
                            for (int i = 0; i < batches; i++)
                            {
                                if (RecordBatch.TryValidate(batch, checksums) != RecordBatchStatus.Valid)
                                {
                                    throw new InvalidOperationException("invalid batch");
                                }
                            }
                        }));
                    }

                    if (All("log"))
                    {
                        log.Add(LogPass(root, batch, batches));
                    }
                }
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }

            if (only is not null)
            {
                List<double> times = only == "crc" ? crc : only == "plain" ? plain : log;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"batch {batch.Length} B x {batches}: {only} {Median(times):F1} ms (range {times.Min():F1}-{times.Max():F1})"));
                continue;
            }

            double megabytes = (double)batches * batch.Length / (1024 * 1024);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"batch {batch.Length} B x {batches}: CRC check {Median(crc):F1} ms, plain write {Median(plain):F1} ms, "
                + $"log append {Median(log):F1} ms ({megabytes / Median(log) * 1000:F0} MiB/s; log/plain time {Median(log) / Median(plain):F2}); "
                + $"plain range {plain.Min():F1}-{plain.Max():F1}, log range {log.Min():F1}-{log.Max():F1}; "
                + $"receive copy {Median(copy):F2} ms, with chunk CRCs {Median(chunkedCopy):F2} ms, check joined from them {Median(joinedCheck):F2} ms"));
        }
    }

    private static double PlainPass(string root, byte[] batch, int batches)
    {
        string path = Path.Combine(root, "plain.log");
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            double ms = Time(() =>
            {
                for (int i = 0; i < batches; i++)
                {
                    file.Write(batch);
                }
            });
            File.Delete(path);
            return ms;
        }
    }

    private static double LogPass(string root, byte[] batch, int batches)
    {
        string dir = Path.Combine(root, Partition.DirectoryName);
        PartitionLog log = PartitionLog.Open(dir, Partition, LogConfig.Default, TimeProvider.System, recoveryPoint: 0, hadCleanShutdown: true);
        double ms = Time(() =>
        {
            for (int i = 0; i < batches; i++)
            {
                log.AppendAsLeader(batch, leaderEpoch: 0);
            }
        });
        log.Delete();
        return ms;
    }
}
