using BenchmarkDotNet.Running;

namespace Samsa.Benchmarks;

/// <summary>Entry point: BenchmarkDotNet picks benchmarks from this assembly by the command-line filter.</summary>
internal static class Program
{
    private static void Main(string[] args) =>
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
