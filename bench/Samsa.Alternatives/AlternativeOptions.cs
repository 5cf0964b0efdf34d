namespace Samsa.Alternatives;

/// <summary>What one baseline run measures; every mode publishes or reads <see cref="Records"/> records of <see cref="RecordSize"/> bytes.</summary>
internal sealed class AlternativeOptions
{
    public required AlternativeMode Mode { get; init; }

    /// <summary>nats://host:port for NATS, host:port for Redis; unused by the mock (it lives in this process).</summary>
    public string Server { get; init; } = string.Empty;

    public int RecordSize { get; init; } = 100;

    public long Records { get; init; } = 1_000_000;

    /// <summary>Partitions of the mock's topic (the Samsa consume rows use 1 and 6).</summary>
    public int Partitions { get; init; } = 1;

    /// <summary>NATS: publishes awaiting their ack at once. Redis: commands per pipelined write on each connection.</summary>
    public int Window { get; init; }

    /// <summary>Redis connections, each with its own pipeline.</summary>
    public int Connections { get; init; } = 8;

    /// <summary>mock-consume: a consumer properties file applied over the perf-test settings (empty: none).</summary>
    public string ConsumerConfig { get; init; } = string.Empty;

    /// <summary>Stream (NATS, Redis) or topic (mock) name; a fresh one per measurement.</summary>
    public string Name { get; init; } = "samsa-bench";
}
