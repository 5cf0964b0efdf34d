using System.Globalization;
using BenchmarkDotNet.Running;
using Samsa.Benchmarks.Storage;

namespace Samsa.Benchmarks;

/// <summary>
/// Entry point: BenchmarkDotNet picks benchmarks from this assembly by the command-line filter;
/// <c>storage-breakdown [rounds] [crc|plain|log]</c> and <c>produce-breakdown [rounds]</c> run the stopwatch
/// breakdowns of the storage append and of the produce path instead, and <c>storage-pairs [rounds] [batch bytes]</c>
/// the storage append benchmark in alternating plain/log pairs.
/// </summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "storage-breakdown")
        {
            StorageAppendBreakdown.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7, args.Length > 2 ? args[2] : null);
            return;
        }

        if (args.Length > 0 && args[0] == "storage-pairs")
        {
            StorageAppendPairs.Run(
                args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15,
                args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : null);
            return;
        }

        if (args.Length > 0 && args[0] == "produce-breakdown")
        {
            ProduceAppendBreakdown.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
