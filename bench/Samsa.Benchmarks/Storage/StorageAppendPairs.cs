using System.Globalization;
using static Samsa.Benchmarks.Storage.RoundTimes;

namespace Samsa.Benchmarks.Storage;

/// <summary>
/// <see cref="StorageAppendBenchmarks"/> measured in pairs: each round runs the plain write and the
/// log append back to back (alternating which goes first), with the benchmark's own iteration
/// setup and cleanup, and the figure is the median of the per-round throughput ratios (plain time
/// ÷ log time), as <c>performance.md</c> asks. BenchmarkDotNet runs all of one side's iterations and
/// then all of the other's, so on this shared machine the drift between those minutes lands in its
/// ratio; a pair is seconds apart.
/// Run with <c>dotnet artifacts/bin/Samsa.Benchmarks/release/Samsa.Benchmarks.dll storage-pairs [rounds] [batch bytes]</c>;
/// a batch size (16384 or 1048576) runs only its rows.
/// </summary>
internal static class StorageAppendPairs
{
    private const int WarmUpRounds = 2;

    public static void Run(int rounds, int? onlyBatchBytes = null)
    {
        Console.WriteLine("batch      fsync  received  plain ms  log ms  throughput ratio: median (min-max) of per-round pairs");
        foreach (int batchBytes in onlyBatchBytes is { } only ? [only] : (int[])[16 * 1024, 1024 * 1024])
        {
            foreach (bool finalFsync in (bool[])[false, true])
            {
                foreach (bool received in (bool[])[false, true])
                {
                    using var benchmark = new StorageAppendBenchmarks { BatchBytes = batchBytes, FinalFsync = finalFsync, Received = received };
                    benchmark.GlobalSetup();
                    var plain = new List<double>(rounds);
                    var log = new List<double>(rounds);
                    var ratios = new List<double>(rounds);
                    for (int round = -WarmUpRounds; round < rounds; round++)
                    {
                        bool plainFirst = (round & 1) == 0;
                        double first = plainFirst ? TimePlain(benchmark) : TimeLog(benchmark);
                        double second = plainFirst ? TimeLog(benchmark) : TimePlain(benchmark);
                        if (round < 0)
                        {
                            continue;
                        }

                        (double plainMs, double logMs) = plainFirst ? (first, second) : (second, first);
                        plain.Add(plainMs);
                        log.Add(logMs);
                        ratios.Add(plainMs / logMs);
                    }

                    ratios.Sort();
                    Console.WriteLine(string.Create(
                        CultureInfo.InvariantCulture,
                        $"{batchBytes,-10} {(finalFsync ? "final" : "no"),-6} {(received ? "yes" : "no"),-9} {Median(plain),8:F2} {Median(log),7:F2}  {Median(ratios):F2} ({ratios[0]:F2}-{ratios[^1]:F2})"));
                }
            }
        }
    }

    private static double TimePlain(StorageAppendBenchmarks benchmark)
    {
        benchmark.SetupPlainFile();
        double ms = Time(() => benchmark.PlainFileWrite());
        benchmark.CleanupPlainFile();
        return ms;
    }

    private static double TimeLog(StorageAppendBenchmarks benchmark)
    {
        benchmark.SetupLog();
        double ms = Time(() => benchmark.LogAppend());
        benchmark.CleanupLog();
        return ms;
    }
}
