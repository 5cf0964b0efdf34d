using System.Globalization;

namespace Samsa.LoadGenerator;

/// <summary>
/// What one phase (produce or fetch) achieved. Records and bytes count only what the broker
/// confirmed: acknowledged partitions for produce (for acks=0, what was sent: nothing is
/// confirmed), complete batches for fetch.
/// </summary>
internal sealed class PhaseResult
{
    public required string Phase { get; init; }

    public required TimeSpan Elapsed { get; init; }

    /// <summary>Requests answered (acks=0: sent).</summary>
    public required long Requests { get; init; }

    public required long Records { get; init; }

    /// <summary>Produce: records x record size. Fetch: the batches' bytes after their 61-byte headers (values plus per-record framing; fetch does not decode records).</summary>
    public required long ValueBytes { get; init; }

    /// <summary>Bytes of record batches, headers included: what the log stores and Fetch returns.</summary>
    public required long BatchBytes { get; init; }

    public required LatencyHistogram Latency { get; init; }

    public required ErrorTally Errors { get; init; }

    /// <summary>Fetch: the fewest complete passes over the log any pipeline slot made on any partition.</summary>
    public long Passes { get; init; }

    /// <summary>Bytes the whole generator process allocated while the phase ran (GC count, all threads).</summary>
    public long AllocatedBytes { get; init; }

    public double Seconds => Math.Max(Elapsed.TotalSeconds, 1e-9);

    public string Format()
    {
        const double Mb = 1_000_000;
        const double Mib = 1024 * 1024;
        string latency = Latency.Count == 0
            ? "latency n/a (acks=0: no responses)"
            : string.Create(
                CultureInfo.InvariantCulture,
                $"latency p50 {Latency.Percentile(50) / 1000.0:0.###} ms, p99 {Latency.Percentile(99) / 1000.0:0.###} ms, max {Latency.MaxMicroseconds / 1000.0:0.###} ms");
        string passes = Phase == "fetch" ? string.Create(CultureInfo.InvariantCulture, $", passes {Passes}") : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"""
            {Phase}: {Records:N0} records in {Elapsed.TotalSeconds:0.00} s, {Requests:N0} requests ({Requests / Seconds:N0}/s){passes}
            {Phase}: {Records / Seconds:N0} records/s; values {ValueBytes / Seconds / Mb:N1} MB/s = {ValueBytes / Seconds / Mib:N1} MiB/s; batches {BatchBytes / Seconds / Mb:N1} MB/s = {BatchBytes / Seconds / Mib:N1} MiB/s (MB = 10^6 B, MiB = 2^20 B)
            {Phase}: {latency}
            {Phase}: errors: {Errors}
            {Phase}: generator allocated {AllocatedBytes:N0} B ({AllocatedBytes / (double)Math.Max(Requests, 1):N1} B per request)
            """);
    }
}
