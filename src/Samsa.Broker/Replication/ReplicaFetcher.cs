using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Samsa.Broker.InterBroker;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Checkpoints;

namespace Samsa.Broker.Replication;

/// <summary>
/// One follower connection to one leader broker (Kafka's ReplicaFetcherThread): a loop that first
/// truncates newly followed partitions to where they agree with the leader (OffsetForLeaderEpoch,
/// KIP-101/279), then sends Fetch requests with this broker's id as replica id from each log's end
/// and appends what comes back as it is, taking the leader's high watermark and log start.
/// Responses are applied under <see cref="_lock"/>, which <see cref="Remove"/> also takes: once a
/// partition is removed, nothing more is written to it by this fetcher.
/// </summary>
internal sealed partial class ReplicaFetcher : IAsyncDisposable
{
    // Fetch v12 is the last version naming topics (v13+ use topic ids); OffsetForLeaderEpoch v3+ carries the replica id.
    private const short FetchVersion = 12;
    private const short OffsetForLeaderEpochVersion = 4;

    private readonly ReplicaFetcherOptions _options;
    private readonly Func<int, BrokerEndpoint?> _endpointOf;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, FetchedPartition> _partitions = [];
    private readonly CancellationTokenSource _stopping = new();
    private TaskCompletionSource _added = NewSignal();
    private BrokerClient? _client;
    private Task _loop = Task.CompletedTask;

    public ReplicaFetcher(int leaderId, int fetcherId, ReplicaFetcherOptions options, Func<int, BrokerEndpoint?> endpointOf, TimeProvider time, ILogger logger)
    {
        LeaderId = leaderId;
        FetcherId = fetcherId;
        _options = options;
        _endpointOf = endpointOf;
        _time = time;
        _logger = logger;
    }

    public int LeaderId { get; }

    public int FetcherId { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _partitions.Count;
            }
        }
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);

    /// <summary>Starts replicating <paramref name="partition"/> for <paramref name="leaderEpoch"/>, truncation first.</summary>
    public void Add(Partition partition, int leaderEpoch)
    {
        lock (_lock)
        {
            _partitions[partition.Id] = new FetchedPartition(partition, leaderEpoch);
        }

        Interlocked.Exchange(ref _added, NewSignal()).TrySetResult();
    }

    /// <summary>Stops replicating a partition; waits for a response being applied to it. Returns whether it was here.</summary>
    public bool Remove(TopicPartition id)
    {
        lock (_lock)
        {
            return _partitions.Remove(id);
        }
    }

    /// <summary>True when this fetcher replicates this very partition object for <paramref name="leaderEpoch"/>.</summary>
    public bool IsFetching(Partition partition, int leaderEpoch)
    {
        lock (_lock)
        {
            return _partitions.TryGetValue(partition.Id, out FetchedPartition? state)
                && ReferenceEquals(state.Partition, partition)
                && state.LeaderEpoch == leaderEpoch;
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                // Stopping: whatever the last round hit (a refused connect, a closed log) is moot.
                break;
            }
            catch (BrokerClientException e)
            {
                LogLeaderUnreachable(_logger, _options.BrokerId, LeaderId, e.Message);
                await DropClientAsync().ConfigureAwait(false);
                await PauseAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StorageException or IOException)
            {
                LogFetcherFailed(_logger, e, _options.BrokerId, LeaderId);
                await PauseAsync(stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task PauseAsync(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(_options.FetchBackoffMs), _time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RunOnceAsync(CancellationToken stopping)
    {
        Task added = Volatile.Read(ref _added).Task;
        long now = _time.GetTimestamp();
        long nextRetry = long.MaxValue;
        var truncating = new List<FetchedPartition>();
        var fetching = new List<FetchedPartition>();
        lock (_lock)
        {
            foreach (FetchedPartition state in _partitions.Values)
            {
                if (state.DelayedUntil > now)
                {
                    nextRetry = Math.Min(nextRetry, state.DelayedUntil);
                }
                else
                {
                    (state.Truncating ? truncating : fetching).Add(state);
                }
            }
        }

        if (truncating.Count == 0 && fetching.Count == 0)
        {
            // Idle: wait for a partition to arrive or a backed-off one to be due.
            TimeSpan wait = nextRetry == long.MaxValue ? Timeout.InfiniteTimeSpan : _time.GetElapsedTime(now, nextRetry);
            try
            {
                await added.WaitAsync(wait, _time, stopping).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }

            return;
        }

        BrokerClient? client = await GetClientAsync().ConfigureAwait(false);
        if (client is null)
        {
            // The leader is not in our metadata yet (UpdateMetadata may trail LeaderAndIsr).
            Delay(truncating);
            Delay(fetching);
            return;
        }

        if (truncating.Count > 0)
        {
            await TruncateAsync(client, truncating, stopping).ConfigureAwait(false);
        }

        if (fetching.Count > 0)
        {
            await FetchAsync(client, fetching, stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Asks the leader where our latest epoch ends in its log and truncates to the agreed prefix.</summary>
    private async Task TruncateAsync(BrokerClient client, List<FetchedPartition> states, CancellationToken stopping)
    {
        var request = new OffsetForLeaderEpochRequestData { ReplicaId = _options.BrokerId };
        var asked = new Dictionary<TopicPartition, FetchedPartition>();
        var topics = new Dictionary<string, OffsetForLeaderEpochRequestData.OffsetForLeaderTopic>(StringComparer.Ordinal);
        foreach (FetchedPartition state in states)
        {
            Partition partition = state.Partition;
            if (partition.Log.LeaderEpochCache.LatestEpoch is not int latest)
            {
                // No epochs to compare (an empty or pre-epoch log): Kafka truncates to the high watermark.
                lock (_lock)
                {
                    if (IsCurrent(state))
                    {
                        FinishTruncation(state, partition.HighWatermark, done: true);
                    }
                }

                continue;
            }

            if (!topics.TryGetValue(partition.Id.Topic, out OffsetForLeaderEpochRequestData.OffsetForLeaderTopic? topic))
            {
                topic = new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic { Topic = partition.Id.Topic };
                topics.Add(partition.Id.Topic, topic);
                request.Topics.Add(topic);
            }

            topic.Partitions.Add(new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition
            {
                Partition = partition.Id.Partition,
                CurrentLeaderEpoch = state.LeaderEpoch,
                LeaderEpoch = latest,
            });
            asked[partition.Id] = state;
        }

        if (asked.Count == 0)
        {
            return;
        }

        OffsetForLeaderEpochResponseData response = await client.SendAsync<OffsetForLeaderEpochResponseData>(request, OffsetForLeaderEpochVersion, stopping).ConfigureAwait(false);
        lock (_lock)
        {
            foreach (OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult topic in response.Topics)
            {
                foreach (OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult result in topic.Partitions)
                {
                    var id = new TopicPartition(topic.Topic, result.Partition);
                    if (asked.TryGetValue(id, out FetchedPartition? state) && IsCurrent(state))
                    {
                        ApplyEpochEndOffset(state, result);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Under _lock. Kafka's follower rule (AbstractFetcherThread.getOffsetTruncationState): with the
    /// leader's (epoch E, end offset) for our latest epoch, find where E ends in our own log; if we
    /// know E, truncate to the smaller end and we are done; if our largest epoch at or below E is
    /// older, truncate to where that one ends and ask again with it. Unknown answers fall back to
    /// the leader's end offset, or to our high watermark when the leader has no epoch at all.
    /// </summary>
    private void ApplyEpochEndOffset(FetchedPartition state, OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult result)
    {
        var error = (ErrorCode)result.ErrorCode;
        if (error != ErrorCode.None)
        {
            OnPartitionError(state, error);
            return;
        }

        Partition partition = state.Partition;
        long logEnd = partition.LogEndOffset;
        if (result.EndOffset == LeaderEpochCache.UndefinedEpochOffset)
        {
            FinishTruncation(state, partition.HighWatermark, done: true);
        }
        else if (result.LeaderEpoch == LeaderEpochCache.UndefinedEpoch)
        {
            FinishTruncation(state, Math.Min(result.EndOffset, logEnd), done: true);
        }
        else
        {
            (int ourEpoch, long ourEnd) = partition.Log.LeaderEpochCache.EndOffsetFor(result.LeaderEpoch, logEnd);
            if (ourEnd == LeaderEpochCache.UndefinedEpochOffset)
            {
                FinishTruncation(state, Math.Min(result.EndOffset, logEnd), done: true);
            }
            else if (ourEpoch != result.LeaderEpoch)
            {
                FinishTruncation(state, Math.Min(ourEnd, logEnd), done: false);
            }
            else
            {
                FinishTruncation(state, Math.Min(Math.Min(ourEnd, result.EndOffset), logEnd), done: true);
            }
        }
    }

    private void FinishTruncation(FetchedPartition state, long offset, bool done)
    {
        Partition partition = state.Partition;
        long before = partition.LogEndOffset;
        ErrorCode error = partition.TruncateTo(offset, state.LeaderEpoch);
        if (error != ErrorCode.None)
        {
            Drop(state);
            return;
        }

        if (partition.LogEndOffset != before)
        {
            LogTruncated(_logger, _options.BrokerId, partition.Id, before, partition.LogEndOffset, state.LeaderEpoch);
        }

        state.Truncating = !done;
    }

    private async Task FetchAsync(BrokerClient client, List<FetchedPartition> states, CancellationToken stopping)
    {
        var request = new FetchRequestData
        {
            ReplicaId = _options.BrokerId,
            MaxWaitMs = _options.FetchWaitMaxMs,
            MinBytes = _options.FetchMinBytes,
            MaxBytes = _options.FetchResponseMaxBytes,
            IsolationLevel = 0,
            SessionId = 0,
            SessionEpoch = -1,
        };
        var asked = new Dictionary<TopicPartition, (FetchedPartition State, long FetchOffset)>();
        var topics = new Dictionary<string, FetchRequestData.FetchTopic>(StringComparer.Ordinal);
        foreach (FetchedPartition state in states)
        {
            Partition partition = state.Partition;
            if (!topics.TryGetValue(partition.Id.Topic, out FetchRequestData.FetchTopic? topic))
            {
                topic = new FetchRequestData.FetchTopic { Topic = partition.Id.Topic, TopicId = partition.TopicId };
                topics.Add(partition.Id.Topic, topic);
                request.Topics.Add(topic);
            }

            long fetchOffset = partition.LogEndOffset;
            topic.Partitions.Add(new FetchRequestData.FetchPartition
            {
                Partition = partition.Id.Partition,
                CurrentLeaderEpoch = state.LeaderEpoch,
                FetchOffset = fetchOffset,
                LogStartOffset = partition.LogStartOffset,
                PartitionMaxBytes = _options.FetchMaxBytes,
            });
            asked[partition.Id] = (state, fetchOffset);
        }

        // The records are slices of a pooled buffer: appended (copied to the log) before it goes back.
        using PooledResponse<FetchResponseData> pooled = await client.SendPooledAsync<FetchResponseData>(request, FetchVersion, stopping).ConfigureAwait(false);
        FetchResponseData response = pooled.Response;
        if (response.ErrorCode != 0)
        {
            LogFetchRefused(_logger, _options.BrokerId, LeaderId, (ErrorCode)response.ErrorCode);
            Delay(states);
            return;
        }

        lock (_lock)
        {
            foreach (FetchResponseData.FetchableTopicResponse topic in response.Responses)
            {
                foreach (FetchResponseData.PartitionData data in topic.Partitions)
                {
                    var id = new TopicPartition(topic.Topic, data.PartitionIndex);
                    if (asked.TryGetValue(id, out (FetchedPartition State, long FetchOffset) entry)
                        && IsCurrent(entry.State)
                        && !entry.State.Truncating
                        && entry.State.Partition.LogEndOffset == entry.FetchOffset)
                    {
                        ApplyFetched(entry.State, data);
                    }
                }
            }
        }
    }

    /// <summary>Under _lock: appends the leader's batches, then takes its high watermark and log start.</summary>
    private void ApplyFetched(FetchedPartition state, FetchResponseData.PartitionData data)
    {
        Partition partition = state.Partition;
        var error = (ErrorCode)data.ErrorCode;
        if (error == ErrorCode.OffsetOutOfRange)
        {
            if (partition.LogEndOffset < data.LogStartOffset)
            {
                // The leader's log start moved past our end (retention, DeleteRecords): start over there.
                LogRestartedAt(_logger, _options.BrokerId, partition.Id, partition.LogEndOffset, data.LogStartOffset);
                if (partition.TruncateFullyAndStartAt(data.LogStartOffset, state.LeaderEpoch) != ErrorCode.None)
                {
                    Drop(state);
                }
            }
            else
            {
                // We are past the leader's end (a tail it never had): find the divergence again.
                state.Truncating = true;
            }

            return;
        }

        if (error != ErrorCode.None)
        {
            OnPartitionError(state, error);
            return;
        }

        if (data.Records is { IsEmpty: false } records)
        {
            ReadOnlyMemory<byte> batches = WholeBatches(records);
            if (batches.IsEmpty)
            {
                // One batch larger than replica.fetch.max.bytes yet cut: Kafka's leader never sends that.
                LogUnusableRecords(_logger, _options.BrokerId, partition.Id, records.Length);
                Delay(state);
                return;
            }

            long firstOffset = BinaryPrimitives.ReadInt64BigEndian(batches.Span);
            if (firstOffset < partition.LogEndOffset && partition.LogEndOffset == partition.LogStartOffset)
            {
                // An empty log restarted at the leader's log start, which fell inside this batch
                // (DeleteRecords): start at the batch instead, as Kafka does; the log start follows below.
                if (partition.TruncateFullyAndStartAt(firstOffset, state.LeaderEpoch) != ErrorCode.None)
                {
                    Drop(state);
                    return;
                }
            }

            (ErrorCode appended, _) = partition.AppendAsFollower(batches, state.LeaderEpoch);
            if (appended is ErrorCode.NotLeaderOrFollower or ErrorCode.FencedLeaderEpoch)
            {
                Drop(state);
                return;
            }

            if (appended != ErrorCode.None)
            {
                LogAppendFailed(_logger, _options.BrokerId, partition.Id, appended);
                Delay(state);
                return;
            }
        }

        if (partition.UpdateFollowerHighWatermark(data.HighWatermark, state.LeaderEpoch) != ErrorCode.None)
        {
            Drop(state);
            return;
        }

        if (data.LogStartOffset >= 0)
        {
            partition.MaybeIncrementLogStartOffset(data.LogStartOffset, state.LeaderEpoch);
        }
    }

    /// <summary>
    /// Under _lock. A fenced epoch means the leader moved on: stop until the LeaderAndIsr that says
    /// so re-adds the partition. Anything else (not leader yet, unknown epoch, unknown partition)
    /// is retried after replica.fetch.backoff.ms.
    /// </summary>
    private void OnPartitionError(FetchedPartition state, ErrorCode error)
    {
        LogPartitionError(_logger, _options.BrokerId, state.Partition.Id, LeaderId, error);
        if (error == ErrorCode.FencedLeaderEpoch)
        {
            Drop(state);
        }
        else
        {
            Delay(state);
        }
    }

    private void Drop(FetchedPartition state)
    {
        if (IsCurrent(state))
        {
            _partitions.Remove(state.Partition.Id);
        }
    }

    private void Delay(FetchedPartition state) => state.DelayedUntil = _time.GetTimestamp() + (long)(_options.FetchBackoffMs * (_time.TimestampFrequency / 1000.0));

    private void Delay(List<FetchedPartition> states)
    {
        lock (_lock)
        {
            foreach (FetchedPartition state in states)
            {
                Delay(state);
            }
        }
    }

    /// <summary>Under _lock: the state is still the one this fetcher holds for its partition.</summary>
    private bool IsCurrent(FetchedPartition state) =>
        _partitions.TryGetValue(state.Partition.Id, out FetchedPartition? current) && ReferenceEquals(current, state);

    /// <summary>The leading whole batches of a fetched records blob (a size limit may cut the last one).</summary>
    internal static ReadOnlyMemory<byte> WholeBatches(ReadOnlyMemory<byte> records)
    {
        RecordBatchEnumerator batches = RecordBatch.Enumerate(records);
        while (batches.MoveNext())
        {
        }

        return records[..batches.Position];
    }

    private async ValueTask<BrokerClient?> GetClientAsync()
    {
        BrokerEndpoint? endpoint = _endpointOf(LeaderId);
        if (endpoint is null)
        {
            return null;
        }

        if (_client is not null && (_client.Host != endpoint.Host || _client.Port != endpoint.Port))
        {
            // The leader came back on another address (a restart with an ephemeral port).
            await DropClientAsync().ConfigureAwait(false);
        }

        return _client ??= new BrokerClient(
            endpoint.Host,
            endpoint.Port,
            $"broker-{_options.BrokerId}-fetcher-{FetcherId}",
            new BrokerClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(Math.Max(_options.SocketTimeoutMs, _options.FetchWaitMaxMs + 1000)) },
            _logger);
    }

    private async ValueTask DropClientAsync()
    {
        BrokerClient? client = _client;
        _client = null;
        if (client is not null)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await DropClientAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "[ReplicaFetcher replicaId={BrokerId}, leaderId={LeaderId}] Leader unreachable: {Reason}")]
    private static partial void LogLeaderUnreachable(ILogger logger, int brokerId, int leaderId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "[ReplicaFetcher replicaId={BrokerId}, leaderId={LeaderId}] Fetching failed")]
    private static partial void LogFetcherFailed(ILogger logger, Exception exception, int brokerId, int leaderId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[ReplicaFetcher replicaId={BrokerId}, leaderId={LeaderId}] Fetch refused: {Error}")]
    private static partial void LogFetchRefused(ILogger logger, int brokerId, int leaderId, ErrorCode error);

    [LoggerMessage(Level = LogLevel.Information, Message = "[ReplicaFetcher replicaId={BrokerId}] Partition {Partition} from leader {LeaderId}: {Error}")]
    private static partial void LogPartitionError(ILogger logger, int brokerId, TopicPartition partition, int leaderId, ErrorCode error);

    [LoggerMessage(Level = LogLevel.Information, Message = "[ReplicaFetcher replicaId={BrokerId}] Truncated {Partition} from {Before} to {After} for leader epoch {LeaderEpoch}")]
    private static partial void LogTruncated(ILogger logger, int brokerId, TopicPartition partition, long before, long after, int leaderEpoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[ReplicaFetcher replicaId={BrokerId}] {Partition}: our log end {LogEnd} is below the leader's log start {LeaderLogStart}; starting over there")]
    private static partial void LogRestartedAt(ILogger logger, int brokerId, TopicPartition partition, long logEnd, long leaderLogStart);

    [LoggerMessage(Level = LogLevel.Error, Message = "[ReplicaFetcher replicaId={BrokerId}] {Partition}: {Bytes} fetched bytes hold no whole batch")]
    private static partial void LogUnusableRecords(ILogger logger, int brokerId, TopicPartition partition, int bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "[ReplicaFetcher replicaId={BrokerId}] {Partition}: appending the leader's batches failed: {Error}")]
    private static partial void LogAppendFailed(ILogger logger, int brokerId, TopicPartition partition, ErrorCode error);
}
