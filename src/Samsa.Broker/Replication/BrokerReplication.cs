using Microsoft.Extensions.Logging;
using Samsa.Broker.Configuration;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Threading;
using Samsa.Storage;

namespace Samsa.Broker.Replication;

/// <summary>
/// This broker's replication machinery, built once by the broker: the follower fetchers, the ISR
/// proposals sender, and the periodic ISR check (every replica.lag.time.max.ms / 2, as Kafka's
/// isr-expiration task) over the partitions this broker leads. <see cref="LocalPartitions"/> calls
/// the leadership hooks around each LeaderAndIsr and StopReplica.
/// </summary>
internal sealed partial class BrokerReplication : IAsyncDisposable
{
    private readonly int _brokerId;
    private readonly AlterPartitionSender _sender;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HighWatermarkCheckpoint? _highWatermarks;
    private readonly TimeSpan _checkpointEvery;
    private LocalPartitions? _partitions;
    private Task _isrCheck = Task.CompletedTask;
    private Task _checkpoints = Task.CompletedTask;

    public BrokerReplication(BrokerOptions options, MetadataCache metadata, TimeProvider time, ILogger logger)
        : this(ReplicaFetcherOptions.From(options), options.ReplicaLagTimeMaxMs, metadata, time, logger, options.LogDirs[0], options.ReplicaHighWatermarkCheckpointIntervalMs)
    {
    }

    /// <param name="checkpointDir">The log dir holding replication-offset-checkpoint; null keeps no high watermark checkpoint.</param>
    public BrokerReplication(ReplicaFetcherOptions fetching, long replicaLagTimeMaxMs, MetadataCache metadata, TimeProvider time, ILogger logger, string? checkpointDir = null, long checkpointIntervalMs = 5000)
    {
        _brokerId = fetching.BrokerId;
        _time = time;
        _logger = logger;
        _sender = new AlterPartitionSender(fetching.BrokerId, time, logger, TimeSpan.FromMilliseconds(Math.Max(fetching.FetchBackoffMs, 50)));
        _highWatermarks = checkpointDir is null ? null : new HighWatermarkCheckpoint(checkpointDir);
        _checkpointEvery = TimeSpan.FromMilliseconds(Math.Max(checkpointIntervalMs, 100));
        Context = new ReplicationContext(time, replicaLagTimeMaxMs, _sender) { HighWatermarks = _highWatermarks };
        Fetchers = new ReplicaFetcherManager(fetching, metadata, time, logger);
    }

    /// <summary>What each hosted partition uses as a leader: the clock, the lag limit, the proposals sender.</summary>
    public ReplicationContext Context { get; }

    public ReplicaFetcherManager Fetchers { get; }

    /// <summary>Starts the proposals sender (through <paramref name="alterPartition"/>) and the ISR check over <paramref name="partitions"/>.</summary>
    public void Start(LocalPartitions partitions, IAlterPartitionChannel? alterPartition)
    {
        _partitions = partitions;
        _sender.Start(alterPartition);
        _isrCheck = Task.Run(() => RunIsrCheckAsync(partitions, _stopping.Token), CancellationToken.None);
        if (_highWatermarks is not null)
        {
            // Its fsync blocks: on a thread of its own, not the pool's (PeriodicThread).
            HighWatermarkCheckpoint checkpoint = _highWatermarks;
            _checkpoints = PeriodicThread.Start("high watermark checkpoint", _checkpointEvery, _time, () => WriteCheckpoint(checkpoint, partitions), _stopping.Token);
        }
    }

    /// <summary>Before a LeaderAndIsr is applied: a partition about to lead (or go offline) stops fetching first.</summary>
    public void BeforeLeadershipChange(TopicPartition id, int newLeader, int localBrokerId)
    {
        if (newLeader == localBrokerId || newLeader < 0)
        {
            Fetchers.RemovePartition(id);
        }
    }

    /// <summary>After a LeaderAndIsr was applied: a follower fetches from its (possibly new) leader, truncating first.</summary>
    public void AfterLeadershipChange(Partition partition)
    {
        if (!partition.IsLeader && partition.LeaderId >= 0)
        {
            Fetchers.AddPartition(partition);
        }
    }

    /// <summary>Before StopReplica removes a partition: nothing may fetch into it afterwards.</summary>
    public void BeforeStopReplica(TopicPartition id) => Fetchers.RemovePartition(id);

    private async Task RunIsrCheckAsync(LocalPartitions partitions, CancellationToken stopping)
    {
        TimeSpan every = TimeSpan.FromMilliseconds(Math.Max(Context.ReplicaLagTimeMaxMs / 2, 10));
        using var timer = new PeriodicTimer(every, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                CheckIsr(partitions);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void WriteCheckpoint(HighWatermarkCheckpoint checkpoint, LocalPartitions partitions)
    {
        try
        {
            checkpoint.Write(partitions.All);
        }
        catch (StorageException e)
        {
            LogCheckpointFailed(_logger, e);
        }
    }

    /// <summary>One pass of the ISR check: every partition this broker leads may propose dropping laggards.</summary>
    public static int CheckIsr(LocalPartitions partitions)
    {
        int proposed = 0;
        foreach (Partition partition in partitions.All)
        {
            if (partition.IsLeader && partition.MaybeShrinkIsr())
            {
                proposed++;
            }
        }

        return proposed;
    }

    public async ValueTask DisposeAsync()
    {
        var steps = new ShutdownSequence(_brokerId, _logger);
        await StopAsync(steps).ConfigureAwait(false);
        steps.ThrowIfAnyFailed();
    }

    /// <summary>Each part its own step of the broker's stop: one that failed must not leave the fetchers running into logs that close next.</summary>
    public async ValueTask StopAsync(ShutdownSequence steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await steps.RunAsync("replication's background work", _stopping.CancelAsync).ConfigureAwait(false);
        await steps.RunAsync("ISR check", () => _isrCheck).ConfigureAwait(false);
        await steps.RunAsync("high watermark checkpoints", () => _checkpoints).ConfigureAwait(false);
        await steps.RunAsync("replica fetchers", Fetchers.DisposeAsync).ConfigureAwait(false);
        await steps.RunAsync("AlterPartition sender", _sender.DisposeAsync).ConfigureAwait(false);

        // The last high watermarks, once nothing moves them any more (the logs close after this).
        if (_highWatermarks is not null && _partitions is not null)
        {
            HighWatermarkCheckpoint checkpoint = _highWatermarks;
            LocalPartitions partitions = _partitions;
            steps.Run("last high watermark checkpoint", () => WriteCheckpoint(checkpoint, partitions));
        }

        _stopping.Dispose();
        LogStopped(_logger);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the high watermark checkpoint failed.")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Replication stopped.")]
    private static partial void LogStopped(ILogger logger);
}
