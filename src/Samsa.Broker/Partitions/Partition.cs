using Samsa.Protocol;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Partitions;

/// <summary>
/// One partition replica hosted by this broker: its log plus the leadership the controller gave
/// it (leader, leader epoch, replicas, ISR) and the high watermark. Appends are serialized by
/// <see cref="_appendLock"/> (one writer per log); reads take no lock. Waiters for new data or a
/// moved high watermark (long-poll fetch, acks=all produce) wait on <see cref="WaitForChangeAsync"/>.
/// </summary>
internal sealed class Partition
{
    private readonly int _localBrokerId;
    private readonly Lock _appendLock = new();
    private TaskCompletionSource _changed = NewSignal();
    private long _highWatermark;
    private volatile Leadership _leadership;

    public Partition(TopicPartition id, Uuid topicId, PartitionLog log, int localBrokerId)
    {
        Id = id;
        TopicId = topicId;
        Log = log;
        _localBrokerId = localBrokerId;
        _leadership = new Leadership(-1, -1, -1, [], []);
        _highWatermark = Math.Min(log.LogStartOffset, log.LogEndOffset);
    }

    public TopicPartition Id { get; }

    public Uuid TopicId { get; }

    public PartitionLog Log { get; }

    public int LeaderId => _leadership.Leader;

    public int LeaderEpoch => _leadership.LeaderEpoch;

    public bool IsLeader => _leadership.Leader == _localBrokerId;

    public IReadOnlyList<int> Isr => _leadership.Isr;

    /// <summary>First offset not yet known to be on every ISR member; consumers read below it.</summary>
    public long HighWatermark => Volatile.Read(ref _highWatermark);

    public long LogStartOffset => Log.LogStartOffset;

    public long LogEndOffset => Log.LogEndOffset;

    /// <summary>
    /// Applies the controller's decision. Returns false when the request's leader epoch is older
    /// than the one we have (a stale controller), as Kafka answers STALE_CONTROLLER_EPOCH then.
    /// </summary>
    public bool ApplyLeadership(int leader, int leaderEpoch, int partitionEpoch, int[] replicas, int[] isr)
    {
        lock (_appendLock)
        {
            Leadership current = _leadership;
            if (leaderEpoch < current.LeaderEpoch)
            {
                return false;
            }

            _leadership = new Leadership(leader, leaderEpoch, partitionEpoch, replicas, isr);
            if (leader == _localBrokerId)
            {
                Log.LeaderEpochCache.Assign(leaderEpoch, Log.LogEndOffset);
                MaybeAdvanceHighWatermark();
            }
        }

        Signal();
        return true;
    }

    /// <summary>
    /// Appends client batches as the leader. The caller validated them (<see cref="LogValidator"/>).
    /// Checks leadership and min.insync.replicas for acks=all under the append lock, so the check
    /// and the append see the same ISR.
    /// </summary>
    public (ErrorCode Error, LogAppendInfo Info) AppendAsLeader(Memory<byte> records, short requiredAcks, int minInsyncReplicas)
    {
        LogAppendInfo info;
        lock (_appendLock)
        {
            Leadership leadership = _leadership;
            if (leadership.Leader != _localBrokerId)
            {
                return (ErrorCode.NotLeaderOrFollower, default);
            }

            if (requiredAcks == -1 && leadership.Isr.Length < minInsyncReplicas)
            {
                return (ErrorCode.NotEnoughReplicas, default);
            }

            info = Log.AppendAsLeader(records, leadership.LeaderEpoch);
            if (info.Status == LogAppendStatus.DuplicateSequence)
            {
                // A producer's retry of a batch already in the log: success with the original offsets.
                return (ErrorCode.None, info);
            }

            if (info.Status != LogAppendStatus.Success)
            {
                return (ToErrorCode(info.Status), info);
            }

            MaybeAdvanceHighWatermark();
        }

        Signal();
        return (ErrorCode.None, info);
    }

    /// <summary>
    /// The leader's high watermark is the smallest log end offset among ISR members. With only the
    /// leader in the ISR (standalone, or every follower dropped out) that is the leader's own LEO.
    /// Follower progress arrives with replication (the cluster work); until then, an ISR larger
    /// than the leader alone holds the high watermark where it is.
    /// </summary>
    private void MaybeAdvanceHighWatermark()
    {
        Leadership leadership = _leadership;
        if (leadership.Leader != _localBrokerId)
        {
            return;
        }

        if (leadership.Isr.Length == 1 && leadership.Isr[0] == _localBrokerId)
        {
            long leo = Log.LogEndOffset;
            if (leo > Volatile.Read(ref _highWatermark))
            {
                Volatile.Write(ref _highWatermark, leo);
            }
        }
    }

    /// <summary>Completes when the log or the high watermark next changes (or leadership moves).</summary>
    public Task WaitForChangeAsync() => Volatile.Read(ref _changed).Task;

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Checks a client's leader epoch against ours: older is fenced, newer is unknown to us.</summary>
    public ErrorCode CheckLeaderEpoch(int currentLeaderEpoch)
    {
        if (currentLeaderEpoch == -1)
        {
            return ErrorCode.None;
        }

        int ours = _leadership.LeaderEpoch;
        return currentLeaderEpoch < ours ? ErrorCode.FencedLeaderEpoch
            : currentLeaderEpoch > ours ? ErrorCode.UnknownLeaderEpoch
            : ErrorCode.None;
    }

    internal static ErrorCode ToErrorCode(LogAppendStatus status) => status switch
    {
        LogAppendStatus.Success => ErrorCode.None,
        LogAppendStatus.CorruptMessage => ErrorCode.CorruptMessage,
        LogAppendStatus.MessageTooLarge => ErrorCode.MessageTooLarge,
        LogAppendStatus.RecordListTooLarge => ErrorCode.RecordListTooLarge,
        LogAppendStatus.OffsetOutOfOrder => ErrorCode.InvalidRecord,
        LogAppendStatus.LogClosed => ErrorCode.NotLeaderOrFollower,
        LogAppendStatus.DuplicateSequence => ErrorCode.None,
        LogAppendStatus.OutOfOrderSequence => ErrorCode.OutOfOrderSequenceNumber,
        LogAppendStatus.InvalidProducerEpoch => ErrorCode.InvalidProducerEpoch,
        _ => ErrorCode.KafkaStorageError,
    };

    private sealed record Leadership(int Leader, int LeaderEpoch, int PartitionEpoch, int[] Replicas, int[] Isr);
}
