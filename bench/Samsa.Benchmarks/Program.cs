using System.Globalization;
using BenchmarkDotNet.Running;
using Samsa.Benchmarks.Storage;

namespace Samsa.Benchmarks;

/// <summary>
/// Entry point: BenchmarkDotNet picks benchmarks from this assembly by the command-line filter;
/// <c>storage-breakdown [rounds]</c> runs the stopwatch breakdown of the storage append instead.
/// </summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "storage-breakdown")
        {
            StorageAppendBreakdown.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
