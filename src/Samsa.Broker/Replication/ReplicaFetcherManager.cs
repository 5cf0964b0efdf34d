using Microsoft.Extensions.Logging;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Storage;

namespace Samsa.Broker.Replication;

/// <summary>
/// The follower partitions of this broker and the fetchers replicating them (Kafka's
/// ReplicaFetcherManager): num.replica.fetchers per leader broker, a partition's fetcher chosen by
/// hash. Leader endpoints come from the metadata cache (the controller's live brokers) on the
/// inter-broker listener, looked up each time a fetcher connects. Fetchers left without
/// partitions are shut down.
/// </summary>
internal sealed partial class ReplicaFetcherManager : IAsyncDisposable
{
    private readonly ReplicaFetcherOptions _options;
    private readonly MetadataCache _metadata;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<(int Leader, int FetcherId), ReplicaFetcher> _fetchers = [];
    private readonly Dictionary<TopicPartition, ReplicaFetcher> _byPartition = [];
    private readonly List<Task> _retiring = [];
    private bool _disposed;

    public ReplicaFetcherManager(ReplicaFetcherOptions options, MetadataCache metadata, TimeProvider time, ILogger logger)
    {
        _options = options;
        _metadata = metadata;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Follows <paramref name="partition"/>'s current leader for its current epoch. A partition
    /// already fetched from that leader at that epoch is left alone (a repeated LeaderAndIsr);
    /// otherwise it moves to the right fetcher and starts with truncation.
    /// </summary>
    public void AddPartition(Partition partition)
    {
        int leader = partition.LeaderId;
        int epoch = partition.LeaderEpoch;
        if (leader < 0 || partition.IsLeader)
        {
            RemovePartition(partition.Id);
            return;
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byPartition.TryGetValue(partition.Id, out ReplicaFetcher? current))
            {
                // The same replica object too: a topic recreated under the same name is a new partition.
                if (current.LeaderId == leader && current.IsFetching(partition, epoch))
                {
                    return;
                }

                current.Remove(partition.Id);
                _byPartition.Remove(partition.Id);
                RetireIfIdle(current);
            }

            int fetcherId = FetcherIdFor(partition.Id);
            if (!_fetchers.TryGetValue((leader, fetcherId), out ReplicaFetcher? fetcher))
            {
                fetcher = new ReplicaFetcher(leader, fetcherId, _options, EndpointOf, _time, _logger);
                _fetchers.Add((leader, fetcherId), fetcher);
                fetcher.Start();
                LogFetcherStarted(_logger, _options.BrokerId, leader, fetcherId);
            }

            fetcher.Add(partition, epoch);
            _byPartition[partition.Id] = fetcher;
        }
    }

    /// <summary>Stops following a partition (it became leader, or is being stopped); once this returns no fetcher writes to it.</summary>
    public void RemovePartition(TopicPartition id)
    {
        lock (_lock)
        {
            if (_byPartition.Remove(id, out ReplicaFetcher? fetcher))
            {
                fetcher.Remove(id);
                RetireIfIdle(fetcher);
            }
        }
    }

    /// <summary>The leader a partition is being fetched from, or null.</summary>
    public int? FetchingFrom(TopicPartition id)
    {
        lock (_lock)
        {
            return _byPartition.TryGetValue(id, out ReplicaFetcher? fetcher) ? fetcher.LeaderId : null;
        }
    }

    public int FetcherCount
    {
        get
        {
            lock (_lock)
            {
                return _fetchers.Count;
            }
        }
    }

    private int FetcherIdFor(TopicPartition id) =>
        (int)((uint)HashCode.Combine(StringComparer.Ordinal.GetHashCode(id.Topic), id.Partition) % (uint)_options.NumFetchers);

    private BrokerEndpoint? EndpointOf(int brokerId)
    {
        BrokerNode? node = _metadata.Current.Brokers.GetValueOrDefault(brokerId);
        return node?.EndpointFor(_options.ListenerName) ?? (node is { Endpoints.Count: > 0 } ? node.Endpoints[0] : null);
    }

    /// <summary>Under _lock: shuts a fetcher down once it has nothing to fetch.</summary>
    private void RetireIfIdle(ReplicaFetcher fetcher)
    {
        if (fetcher.Count > 0)
        {
            return;
        }

        _fetchers.Remove((fetcher.LeaderId, fetcher.FetcherId));
        _retiring.RemoveAll(static t => t.IsCompleted);
        _retiring.Add(fetcher.DisposeAsync().AsTask());
    }

    public async ValueTask DisposeAsync()
    {
        ReplicaFetcher[] fetchers;
        Task[] retiring;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            fetchers = [.. _fetchers.Values];
            retiring = [.. _retiring];
            _fetchers.Clear();
            _byPartition.Clear();
        }

        foreach (ReplicaFetcher fetcher in fetchers)
        {
            await fetcher.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(retiring).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[ReplicaFetcherManager on broker {BrokerId}] Started fetcher {FetcherId} for leader {LeaderId}")]
    private static partial void LogFetcherStarted(ILogger logger, int brokerId, int leaderId, int fetcherId);
}
