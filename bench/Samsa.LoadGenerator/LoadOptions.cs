using System.Globalization;

namespace Samsa.LoadGenerator;

/// <summary>Settings of one run; <see cref="LoadOptionsParser"/> fills them from the command line.</summary>
internal sealed record LoadOptions
{
    public const short DefaultProduceVersion = 9;
    public const short DefaultFetchVersion = 12;

    public LoadMode Mode { get; init; } = LoadMode.Produce;

    public string Host { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 9092;

    public string Topic { get; init; } = "samsa-loadgen";

    /// <summary>Partitions of a topic the generator creates; an existing topic keeps its own count.</summary>
    public int Partitions { get; init; } = 1;

    public short ReplicationFactor { get; init; } = 1;

    public int Connections { get; init; } = 2;

    /// <summary>Requests outstanding per connection.</summary>
    public int InFlight { get; init; } = 4;

    /// <summary>How long each phase issues requests; null runs until <see cref="Requests"/> are done.</summary>
    public TimeSpan? Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// An unmeasured run of each phase first, so the broker's JIT has tiered up and its buffers
    /// are pooled before the clock starts; zero for none.
    /// </summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.Zero;

    /// <summary>Requests per phase, over all connections; null for no limit.</summary>
    public long? Requests { get; init; }

    public short Acks { get; init; } = -1;

    public int RecordSize { get; init; } = 1024;

    public int BatchRecords { get; init; } = 1000;

    public short ProduceVersion { get; init; } = DefaultProduceVersion;

    /// <summary>The Produce request's timeout, which bounds how long acks=-1 may wait.</summary>
    public int ProduceTimeoutMs { get; init; } = 30_000;

    public short FetchVersion { get; init; } = DefaultFetchVersion;

    /// <summary>A Fetch request's MaxBytes; each partition may take an equal share of it.</summary>
    public int FetchMaxBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Incremental fetch sessions (KIP-227) instead of sessionless full fetches.</summary>
    public bool IncrementalFetch { get; init; }

    /// <summary>
    /// Stop fetching once every pipeline slot has read every partition this many times from the
    /// start to the high watermark; 0 for no limit (duration or request count only).
    /// </summary>
    public int FetchPasses { get; init; }

    public string ClientId { get; init; } = "samsa-loadgen";

    /// <summary>Bounds the wait for one response past the end of a phase before the run fails.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string Describe(TopicLayout topic) => string.Create(
        CultureInfo.InvariantCulture,
        $"topic={topic.Name} partitions={topic.Partitions} connections={Connections} in-flight={InFlight} record-size={RecordSize} batch-records={BatchRecords} acks={Acks} produce-version={ProduceVersion} fetch-version={FetchVersion} fetch-max-bytes={FetchMaxBytes} fetch-session={(IncrementalFetch ? "incremental" : "none")}");
}
