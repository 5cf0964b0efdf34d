using System.Globalization;

namespace Samsa.Alternatives;

/// <summary>The one line bench/run.sh reads: records, records/s, MB/s of values (10^6 B), elapsed ms.</summary>
internal readonly record struct BaselineResult(long Records, int RecordSize, TimeSpan Elapsed)
{
    public double RecordsPerSecond => Records / Elapsed.TotalSeconds;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Records} records, {RecordsPerSecond:F1} records/sec ({RecordsPerSecond * RecordSize / 1e6:F2} MB/sec), {Elapsed.TotalMilliseconds:F0} ms");
}
