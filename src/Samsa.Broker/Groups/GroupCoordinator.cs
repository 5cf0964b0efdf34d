using Microsoft.Extensions.Logging;
using Samsa.Broker.Controller;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Groups;

/// <summary>
/// The classic group coordinator (Kafka's GroupCoordinator + GroupMetadataManager): hosts the
/// groups whose __consumer_offsets partition this broker leads, runs their join/sync state
/// machine, and keeps their metadata and committed offsets as records in that partition.
/// <para>
/// Threading: all group state is guarded by one lock (<see cref="_lock"/>). Group operations are
/// short and rare next to produce/fetch, and one lock keeps loading, unloading and the timers
/// trivially consistent. Records are appended to the log under the lock (so the log order is
/// the decision order); waiting for the high watermark happens outside it. Delayed JoinGroup and
/// SyncGroup responses park as <see cref="TaskCompletionSource{TResult}"/>s completed later by
/// another request or by the timer loop (<see cref="RunTimersAsync"/>), never by a blocked thread.
/// Leadership changes arrive from <see cref="LocalPartitions"/> on the controller's thread; loads
/// run on the thread pool and are owned (awaited on dispose) by this class.
/// </para>
/// </summary>
internal sealed partial class GroupCoordinator : IAsyncDisposable
{
    private readonly GroupCoordinatorOptions _options;
    private readonly LocalPartitions _partitions;
    private readonly MetadataCache _metadata;
    private readonly KafkaController? _controller;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ClassicGroup> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<int, OffsetsPartitionOwnership> _owned = [];
    private readonly Dictionary<int, Task> _loads = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task? _timers;
    private long _lastRetentionCheckMs;
    private bool _shutDown;

    public GroupCoordinator(GroupCoordinatorOptions options, LocalPartitions partitions, MetadataCache metadata, KafkaController? controller, TimeProvider time, ILogger logger)
    {
        _options = options;
        _partitions = partitions;
        _metadata = metadata;
        _controller = controller;
        _time = time;
        _logger = logger;
        _lastRetentionCheckMs = NowMs;
        partitions.LeadershipChanged += OnLeadershipChanged;
        partitions.PartitionRemoved += OnPartitionRemoved;
    }

    public GroupCoordinatorOptions Options => _options;

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Starts the timer loop (session expiry, delayed joins, offset retention).</summary>
    public void Start() => _timers ??= RunTimersAsync(_stopping.Token);

    /// <summary>The offsets partition count: the topic's if it exists, else the configured one.</summary>
    public int PartitionCount =>
        _metadata.Current.Topic(OffsetsTopic.Name) is { Partitions.Length: > 0 } topic ? topic.Partitions.Length : _options.OffsetsTopicNumPartitions;

    public int PartitionFor(string groupId) => OffsetsTopic.PartitionFor(groupId, PartitionCount);

    /// <summary>
    /// Whether this broker can serve <paramref name="groupId"/> now. Empty ids are allowed only
    /// where Kafka allows them for backwards compatibility (offset commit/fetch, describe, delete).
    /// Call under the lock.
    /// </summary>
    private ErrorCode CheckCoordinator(string groupId, bool allowEmpty, out int partition)
    {
        partition = -1;
        if (groupId.Length == 0 && !allowEmpty)
        {
            return ErrorCode.InvalidGroupId;
        }

        if (_shutDown)
        {
            return ErrorCode.CoordinatorNotAvailable;
        }

        if (_metadata.Current.Topic(OffsetsTopic.Name) is null && _owned.Count == 0)
        {
            return ErrorCode.NotCoordinator;
        }

        partition = PartitionFor(groupId);
        if (!_owned.TryGetValue(partition, out OffsetsPartitionOwnership? owned))
        {
            return ErrorCode.NotCoordinator;
        }

        return owned.IsLoaded ? ErrorCode.None : ErrorCode.CoordinatorLoadInProgress;
    }

    /// <summary>Runs the timer checks once (the loop calls this; tests call it after moving a manual clock).</summary>
    public void RunTimers()
    {
        long now = NowMs;
        lock (_lock)
        {
            if (_shutDown)
            {
                return;
            }

            foreach (ClassicGroup group in _groups.Values)
            {
                CheckDeadlines(group, now);
                if (group.ConsumerProtocol is ConsumerGroup consumerGroup)
                {
                    CheckConsumerDeadlines(group, consumerGroup, now);
                }
            }

            if (now - _lastRetentionCheckMs >= _options.OffsetsRetentionCheckIntervalMs)
            {
                _lastRetentionCheckMs = now;
                ExpireOffsetsLocked(now);
            }
        }

    }

    private async Task RunTimersAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(GroupCoordinatorOptions.TimerTick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                RunTimers();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Stops serving: every parked JoinGroup and SyncGroup is answered (NOT_COORDINATOR, so
    /// clients look for the coordinator again), timers and loads stop.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Task[] loads;
        Task creation;
        lock (_lock)
        {
            if (_shutDown)
            {
                return;
            }

            _shutDown = true;
            foreach (ClassicGroup group in _groups.Values)
            {
                FailParkedRequests(group, ErrorCode.NotCoordinator);
            }

            _groups.Clear();
            _owned.Clear();
            loads = [.. _loads.Values];
            creation = _topicCreation ?? Task.CompletedTask;
        }

        _partitions.LeadershipChanged -= OnLeadershipChanged;
        _partitions.PartitionRemoved -= OnPartitionRemoved;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_timers is not null)
        {
            await _timers.ConfigureAwait(false);
        }

        foreach (Task load in loads)
        {
            try
            {
                await load.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await creation.ConfigureAwait(false); // ends on cancellation or failure without throwing
        _stopping.Dispose();
    }

    private static void FailParkedRequests(ClassicGroup group, ErrorCode error)
    {
        foreach (GroupMember member in group.Members.Values)
        {
            member.CompleteJoin(JoinError(member.MemberId, error));
            member.CompleteSync(new SyncGroupResponseData { ErrorCode = (short)error });
        }
    }

    private static JoinGroupResponseData JoinError(string memberId, ErrorCode error) => new()
    {
        ErrorCode = (short)error,
        MemberId = memberId,
        GenerationId = -1,
        ProtocolName = null,
        Leader = string.Empty,
    };

    private ClassicGroup? GetGroup(string groupId) => _groups.GetValueOrDefault(groupId);

    private void RemoveGroup(ClassicGroup group)
    {
        group.TransitionTo(GroupState.Dead, NowMs);
        _groups.Remove(group.GroupId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "[GroupCoordinator {BrokerId}]: {Message}")]
    private static partial void LogInfo(ILogger logger, int brokerId, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[GroupCoordinator {BrokerId}]: {Message}")]
    private static partial void LogWarning(ILogger logger, int brokerId, string message);

    private void Info(string message) => LogInfo(_logger, _metadata.BrokerId, message);

    private void Warn(string message) => LogWarning(_logger, _metadata.BrokerId, message);
}
