using System.Diagnostics;

namespace Samsa.Benchmarks.Storage;

/// <summary>The stopwatch breakdowns' timing: one pass in milliseconds, and the median of rounds.</summary>
internal static class RoundTimes
{
    public static double Time(Action action)
    {
        long start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    public static double Median(List<double> values)
    {
        var sorted = new List<double>(values);
        sorted.Sort();
        return sorted[sorted.Count / 2];
    }
}
