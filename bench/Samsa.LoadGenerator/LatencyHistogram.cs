using System.Numerics;

namespace Samsa.LoadGenerator;

/// <summary>
/// Request latencies in microseconds, log-linear buckets (64 per power of two above 128 µs, so a
/// reported percentile is within 1/64 ≈ 1.6 % of the true value; exact below 128 µs). Recording is
/// an array increment, no allocation. One per connection loop; merged after the run.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int LinearLimit = 128;
    private const int SubBuckets = 64;
    private const int MaxShift = 40; // 2^46 µs ≈ 2 years: anything above is clamped

    private readonly long[] _counts = new long[LinearLimit + (MaxShift * SubBuckets)];
    private long _max;

    public long Count { get; private set; }

    public long MaxMicroseconds => _max;

    public void Record(long microseconds)
    {
        if (microseconds < 0)
        {
            microseconds = 0;
        }

        _counts[IndexOf(microseconds)]++;
        Count++;
        if (microseconds > _max)
        {
            _max = microseconds;
        }
    }

    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        _max = Math.Max(_max, other._max);
    }

    /// <summary>The highest value of the bucket holding the given percentile (0-100); 0 when empty.</summary>
    public long Percentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(HighestValueOf(i), _max);
            }
        }

        return _max;
    }

    private static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        int shift = Math.Min(63 - BitOperations.LeadingZeroCount((ulong)value) - 6, MaxShift);
        long mantissa = Math.Min(value >> shift, (2 * SubBuckets) - 1);
        return (shift * SubBuckets) + (int)mantissa;
    }

    private static long HighestValueOf(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        int shift = (index / SubBuckets) - 1;
        long mantissa = (index % SubBuckets) + SubBuckets;
        return ((mantissa + 1) << shift) - 1;
    }
}
