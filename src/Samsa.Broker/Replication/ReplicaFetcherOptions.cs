using Samsa.Broker.Configuration;

namespace Samsa.Broker.Replication;

/// <summary>How followers fetch: the replica.* broker settings, as Kafka names and defaults them.</summary>
internal sealed record ReplicaFetcherOptions
{
    /// <summary>This broker's id, sent as the fetch's replica id.</summary>
    public required int BrokerId { get; init; }

    /// <summary><c>inter.broker.listener.name</c>: the leader endpoint the fetchers connect to.</summary>
    public string ListenerName { get; init; } = "PLAINTEXT";

    /// <summary><c>replica.fetch.max.bytes</c>: per partition.</summary>
    public int FetchMaxBytes { get; init; } = 1_048_576;

    /// <summary><c>replica.fetch.response.max.bytes</c>: per response.</summary>
    public int FetchResponseMaxBytes { get; init; } = 10_485_760;

    /// <summary><c>replica.fetch.wait.max.ms</c>: how long the leader may hold a fetch with too little data.</summary>
    public int FetchWaitMaxMs { get; init; } = 500;

    /// <summary><c>replica.fetch.min.bytes</c>.</summary>
    public int FetchMinBytes { get; init; } = 1;

    /// <summary><c>replica.fetch.backoff.ms</c>: the pause after an error before a partition (or connection) is tried again.</summary>
    public int FetchBackoffMs { get; init; } = 1000;

    /// <summary><c>replica.socket.timeout.ms</c>: how long a request waits for its response.</summary>
    public int SocketTimeoutMs { get; init; } = 30_000;

    /// <summary><c>num.replica.fetchers</c>: fetchers per source broker; partitions spread over them by hash.</summary>
    public int NumFetchers { get; init; } = 1;

    public static ReplicaFetcherOptions From(BrokerOptions options) => new()
    {
        BrokerId = options.BrokerId,
        ListenerName = options.InterBrokerListenerName,
        FetchMaxBytes = options.ReplicaFetchMaxBytes,
        FetchResponseMaxBytes = options.ReplicaFetchResponseMaxBytes,
        FetchWaitMaxMs = options.ReplicaFetchWaitMaxMs,
        FetchMinBytes = options.ReplicaFetchMinBytes,
        FetchBackoffMs = options.ReplicaFetchBackoffMs,
        SocketTimeoutMs = options.ReplicaSocketTimeoutMs,
        NumFetchers = Math.Max(options.NumReplicaFetchers, 1),
    };
}
