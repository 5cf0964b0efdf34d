using System.Globalization;
using Samsa.Broker.Configuration;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Storage;
using Samsa.Storage.Log;
using static Samsa.Benchmarks.Storage.RoundTimes;

namespace Samsa.Benchmarks.Storage;

/// <summary>
/// The same comparison as <see cref="ProduceAppendBenchmarks"/> as a stopwatch breakdown, which a
/// shared, noisy machine measures more steadily: per round (alternating, fresh log each pass) the
/// broker's check alone before and after, and the whole produce path (check + log append) before
/// and after; medians over the rounds. 64 MiB per pass, page cache only.
/// Run with <c>Samsa.Benchmarks produce-breakdown [rounds]</c>.
/// </summary>
internal static class ProduceAppendBreakdown
{
    private static readonly TopicPartition Partition = new("bench", 0);
    private static readonly TopicProducePolicy Policy = new(1, BrokerCompressionType.Producer, long.MaxValue, long.MaxValue);

    public static void Run(int rounds)
    {
        foreach (int batchBytes in (int[])[16 * 1024, 1024 * 1024])
        {
            byte[] batch = StorageBenchmarkData.BuildBatch(batchBytes);
            int batches = StorageBenchmarkData.BatchesPerOperation(batch.Length);
            string root = StorageBenchmarkData.CreateScratchDirectory("produce-breakdown");
            var checkBefore = new List<double>();
            var checkAfter = new List<double>();
            var pathBefore = new List<double>();
            var pathAfter = new List<double>();
            try
            {
                for (int round = 0; round < rounds; round++)
                {
                    checkBefore.Add(Time(() => CheckAll(batch, batches, legacy: true)));
                    checkAfter.Add(Time(() => CheckAll(batch, batches, legacy: false)));
                    pathBefore.Add(PathPass(root, batch, batches, legacy: true));
                    pathAfter.Add(PathPass(root, batch, batches, legacy: false));
                }
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"batch {batch.Length} B x {batches}: broker check before {Median(checkBefore):F2} ms, after {Median(checkAfter):F2} ms; "
                + $"check + append before {Median(pathBefore):F1} ms (range {pathBefore.Min():F1}-{pathBefore.Max():F1}), "
                + $"after {Median(pathAfter):F1} ms (range {pathAfter.Min():F1}-{pathAfter.Max():F1}); "
                + $"after/before time {Median(pathAfter) / Median(pathBefore):F2}"));
        }
    }

    private static void CheckAll(byte[] batch, int batches, bool legacy)
    {
        for (int i = 0; i < batches; i++)
        {
            ErrorCode error = legacy
                ? LegacyProduceValidator.Validate(batch, LogConfig.Default)
                : LogValidator.Validate(batch, LogConfig.Default, Policy, 0, scratch: null).Error;
            if (error != ErrorCode.None)
            {
                throw new InvalidOperationException("The broker refused the benchmark batch.");
            }
        }
    }

    private static double PathPass(string root, byte[] batch, int batches, bool legacy)
    {
        string dir = Path.Combine(root, Partition.DirectoryName);
        PartitionLog log = PartitionLog.Open(dir, Partition, LogConfig.Default, TimeProvider.System, recoveryPoint: 0, hadCleanShutdown: true);
        double ms = Time(() =>
        {
            for (int i = 0; i < batches; i++)
            {
                CheckAll(batch, 1, legacy);
                if (log.AppendAsLeader(batch, leaderEpoch: 0).Status != LogAppendStatus.Success)
                {
                    throw new InvalidOperationException("The log refused the benchmark batch.");
                }
            }
        });
        log.Delete();
        return ms;
    }
}
