using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Partitions;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Storage;

namespace Samsa.Broker.Controller;

/// <summary>
/// A broker's half of Kafka's log-dir failure event (cluster mode): when a hosted replica's log goes
/// offline, a sequential /log_dir_event_notification/log_dir_event_ node naming this broker tells
/// the controller, which then asks this broker about all its replicas and moves leadership and ISR
/// places away from the offline ones. Failures that arrive together share one notification (the
/// controller's question covers every replica anyway); a write that fails (no ZooKeeper quorum,
/// session being renewed, or any other error) is retried until it succeeds or the broker stops.
/// </summary>
internal sealed partial class LogDirEventNotifier : IAsyncDisposable
{
    /// <summary>Pause before writing the notification again after the store refused it.</summary>
    internal static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(500);

    // One pending signal at most: a burst of failures becomes one notification.
    private readonly Channel<TopicPartition> _pending = Channel.CreateBounded<TopicPartition>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly int _brokerId;
    private readonly ICoordinationStore _store;
    private readonly LocalPartitions _partitions;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private int _written;

    public LogDirEventNotifier(int brokerId, ICoordinationStore store, LocalPartitions partitions, TimeProvider time, ILogger logger)
    {
        _brokerId = brokerId;
        _store = store;
        _partitions = partitions;
        _time = time;
        _logger = logger;
        _partitions.ReplicaWentOffline += OnReplicaWentOffline;
        _loop = RunAsync(_stopping.Token);
    }

    /// <summary>Notifications written so far (for tests and diagnostics).</summary>
    public int Written => Volatile.Read(ref _written);

    // Runs on the thread that hit the I/O error, maybe under the log's locks: only queues.
    private void OnReplicaWentOffline(TopicPartition partition) => _pending.Writer.TryWrite(partition);

    private async Task RunAsync(CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            while (await _pending.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                while (_pending.Reader.TryRead(out TopicPartition first))
                {
                    await NotifyAsync(first, stopping).ConfigureAwait(false);
                }
            }
        }
#pragma warning disable CA1031 // Once stopping, whatever the store threw (connection loss as the session closes) only ends the loop.
        catch (Exception) when (stopping.IsCancellationRequested)
#pragma warning restore CA1031
        {
        }
    }

    private async Task NotifyAsync(TopicPartition partition, CancellationToken stopping)
    {
        bool reported = false;
        while (true)
        {
            try
            {
                string path = await _store.CreateAsync(LogDirEventNotificationZNode.PathPrefix, LogDirEventNotificationZNode.Encode(_brokerId), CreateMode.PersistentSequential, stopping).ConfigureAwait(false);
                Interlocked.Increment(ref _written);
                LogNotified(_logger, _brokerId, partition.ToString(), path);
                return;
            }
#pragma warning disable CA1031 // Any failure (not only the store's) is retried: the loop must not end while the broker runs.
            catch (Exception e) when (!stopping.IsCancellationRequested)
#pragma warning restore CA1031
            {
                if (!reported)
                {
                    reported = true;
                    LogNotifyFailed(_logger, _brokerId, e.Message);
                }
            }

            await Task.Delay(RetryBackoff, _time, stopping).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _partitions.ReplicaWentOffline -= OnReplicaWentOffline;
        _pending.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker {BrokerId}: replica {Partition} went offline; told the controller through {Path}.")]
    private static partial void LogNotified(ILogger logger, int brokerId, string partition, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker {BrokerId} cannot write its log-dir event notification yet, retrying: {Reason}")]
    private static partial void LogNotifyFailed(ILogger logger, int brokerId, string reason);
}
