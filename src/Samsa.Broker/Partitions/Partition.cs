using Samsa.Broker.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Checkpoints;
using Samsa.Storage.Log;

namespace Samsa.Broker.Partitions;

/// <summary>
/// One partition replica hosted by this broker: its log plus the leadership the controller gave
/// it (leader, leader epoch, replicas, ISR) and the high watermark. As leader it tracks each
/// follower's fetches, moves the high watermark and proposes ISR changes (Partition.Isr.cs); as
/// follower it takes the leader's batches and high watermark (Partition.Follower.cs). Appends,
/// truncation and leadership changes are serialized by <see cref="_lock"/> (one writer per log);
/// reads take no lock. Waiters take one of two signals: follower fetches wait for the log end to
/// move (<see cref="WaitForLogEndChangeAsync"/>), acks=all produces and consumer fetches for the
/// high watermark (<see cref="WaitForHighWatermarkChangeAsync"/>); any other change of state
/// (leadership, ISR, truncation, removal, a log gone offline) completes both.
/// </summary>
internal sealed partial class Partition
{
    private readonly int _localBrokerId;
    private readonly ReplicationContext _replication;
    private readonly Lock _lock = new();
    private TaskCompletionSource _logEndMoved = NewSignal();
    private TaskCompletionSource _highWatermarkMoved = NewSignal();
    private long _highWatermark;
    private volatile Leadership _leadership;

    public Partition(TopicPartition id, Uuid topicId, PartitionLog log, int localBrokerId, ReplicationContext? replication = null)
    {
        Id = id;
        TopicId = topicId;
        Log = log;
        _localBrokerId = localBrokerId;
        _replication = replication ?? ReplicationContext.Standalone;
        _leadership = new Leadership(-1, -1, -1, [], [], [], null);
        // The checkpointed high watermark, within what the log holds now (recovery may have cut it).
        long checkpointed = _replication.HighWatermarks?.Initial(id) ?? log.LogStartOffset;
        _highWatermark = Math.Min(Math.Max(checkpointed, log.LogStartOffset), log.LogEndOffset);
    }

    public TopicPartition Id { get; }

    public Uuid TopicId { get; }

    public PartitionLog Log { get; }

    public int LeaderId => _leadership.Leader;

    public int LeaderEpoch => _leadership.LeaderEpoch;

    /// <summary>The controller's version of this partition's state (the state znode version); AlterPartition sends it back.</summary>
    public int PartitionEpoch => _leadership.PartitionEpoch;

    public bool IsLeader => _leadership.Leader == _localBrokerId;

    public IReadOnlyList<int> Replicas => _leadership.Replicas;

    /// <summary>The ISR as the controller last committed it; acks=all checks min.insync.replicas against it.</summary>
    public IReadOnlyList<int> Isr => _leadership.Isr;

    /// <summary>
    /// The committed ISR plus a follower whose addition is in flight (Kafka's maximal ISR): the
    /// high watermark waits for it too, so it cannot pass what a newly added member has.
    /// </summary>
    public IReadOnlyList<int> MaximalIsr => _leadership.MaximalIsr;

    /// <summary>True while an AlterPartition proposal of this leader awaits the controller's answer.</summary>
    public bool IsIsrChangePending => _leadership.PendingIsrChange is not null;

    /// <summary>First offset not yet known to be on every ISR member; consumers read below it.</summary>
    public long HighWatermark => Volatile.Read(ref _highWatermark);

    public long LogStartOffset => Log.LogStartOffset;

    public long LogEndOffset => Log.LogEndOffset;

    /// <summary>True when <paramref name="brokerId"/> is one of the partition's assigned replicas.</summary>
    public bool IsReplica(int brokerId) => Array.IndexOf(_leadership.Replicas, brokerId) >= 0;

    /// <summary>
    /// Applies the controller's decision. Returns false when the request's leader epoch is older
    /// than the one we have (a stale controller), as Kafka answers STALE_CONTROLLER_EPOCH then.
    /// The ISR comes from the request and replaces any proposal in flight (its answer is then
    /// ignored). A broker that becomes leader starts every follower at an unknown position, so the
    /// high watermark waits for their first fetches; one that stays leader keeps what it knew.
    /// </summary>
    public bool ApplyLeadership(int leader, int leaderEpoch, int partitionEpoch, int[] replicas, int[] isr)
    {
        lock (_lock)
        {
            Leadership current = _leadership;
            if (leaderEpoch < current.LeaderEpoch)
            {
                return false;
            }

            bool wasLeader = current.Leader == _localBrokerId;
            _leadership = new Leadership(leader, leaderEpoch, partitionEpoch, replicas, isr, isr, null);
            if (leader == _localBrokerId)
            {
                try
                {
                    Log.LeaderEpochCache.Assign(leaderEpoch, Log.LogEndOffset);
                }
                catch (StorageException)
                {
                    // The checkpoint could not be written (full disk, or a failing one): leadership
                    // still changes; the first append assigns the epoch at the same offset, or
                    // fails with KAFKA_STORAGE_ERROR while the disk does.
                }

                EpochEntry? latest = Log.LeaderEpochCache.Latest;
                _leaderEpochStartOffset = latest is { } entry && entry.Epoch == leaderEpoch ? entry.StartOffset : Log.LogEndOffset;
                TrackFollowers(replicas, isr, reset: !wasLeader);
                MaybeAdvanceHighWatermark();
            }
            else
            {
                _followers = [];
                _leaderEpochStartOffset = -1;
            }
        }

        SignalStateChanged();
        return true;
    }

    /// <summary>
    /// Appends client batches as the leader. The caller validated them (<see cref="LogValidator"/>).
    /// Checks leadership and min.insync.replicas for acks=all under the lock, so the check and the
    /// append see the same ISR.
    /// </summary>
    public (ErrorCode Error, LogAppendInfo Info) AppendAsLeader(Memory<byte> records, short requiredAcks, int minInsyncReplicas) =>
        AppendAsLeader(records, requiredAcks, minInsyncReplicas, out _);

    /// <inheritdoc cref="AppendAsLeader(Memory{byte}, short, int)"/>
    /// <param name="leaderEpoch">The leader epoch the batches were written in, for <see cref="AcksAllOutcome"/>.</param>
    /// <param name="checksums">The chunk CRCs of the request buffer <paramref name="records"/> arrived in, for the log's CRC checks.</param>
    public (ErrorCode Error, LogAppendInfo Info) AppendAsLeader(Memory<byte> records, short requiredAcks, int minInsyncReplicas, out int leaderEpoch, ChunkedCrc32C? checksums = null)
    {
        LogAppendInfo info;
        bool highWatermarkMoved;
        lock (_lock)
        {
            Leadership leadership = _leadership;
            leaderEpoch = leadership.LeaderEpoch;
            if (leadership.Leader != _localBrokerId)
            {
                return (ErrorCode.NotLeaderOrFollower, default);
            }

            if (requiredAcks == -1 && leadership.Isr.Length < minInsyncReplicas)
            {
                return (ErrorCode.NotEnoughReplicas, default);
            }

            info = Log.AppendAsLeader(records, leadership.LeaderEpoch, checksums);
            if (info.Status == LogAppendStatus.DuplicateSequence)
            {
                // A producer's retry of a batch already in the log: success with the original offsets.
                return (ErrorCode.None, info);
            }

            if (info.Status != LogAppendStatus.Success)
            {
                return (ToErrorCode(info.Status), info);
            }

            // Moves only when no follower holds it back (an ISR of the leader alone).
            highWatermarkMoved = MaybeAdvanceHighWatermark();
        }

        SignalLogEndMoved();
        if (highWatermarkMoved)
        {
            SignalHighWatermarkMoved();
        }

        return (ErrorCode.None, info);
    }

    /// <summary>
    /// Where an acks=all write stands that ends below <paramref name="requiredHighWatermark"/> and was
    /// appended in <paramref name="leaderEpoch"/> (Kafka's checkEnoughReplicasReachOffset): null while
    /// it waits for the high watermark; NOT_LEADER_OR_FOLLOWER once leadership moved on (a new leader
    /// may truncate it away, so it must not be acknowledged); once replicated,
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below min.insync.replicas meanwhile (the
    /// write is in the log but on fewer replicas than asked), else NONE.
    /// </summary>
    public ErrorCode? AcksAllOutcome(long requiredHighWatermark, int leaderEpoch, int minInsyncReplicas)
    {
        Leadership leadership = _leadership;
        if (leadership.Leader != _localBrokerId || leadership.LeaderEpoch != leaderEpoch)
        {
            return ErrorCode.NotLeaderOrFollower;
        }

        if (HighWatermark < requiredHighWatermark)
        {
            return null;
        }

        return leadership.Isr.Length < minInsyncReplicas ? ErrorCode.NotEnoughReplicasAfterAppend : ErrorCode.None;
    }

    /// <summary>
    /// Completes when the log end next moves, or on any other change of state (not on a high
    /// watermark move alone): what a follower's fetch waits for, since it reads up to the log end.
    /// Take it before reading what it guards, so a change in between is not missed.
    /// </summary>
    public Task WaitForLogEndChangeAsync() => Volatile.Read(ref _logEndMoved).Task;

    /// <summary>
    /// Completes when the high watermark next moves, or on any other change of state (not on an
    /// append alone): what acks=all produces and consumer fetches wait for. Take it before reading
    /// what it guards, so a change in between is not missed.
    /// </summary>
    public Task WaitForHighWatermarkChangeAsync() => Volatile.Read(ref _highWatermarkMoved).Task;

    /// <summary>
    /// Wakes every waiter, whichever signal it took: for changes the two signals do not name
    /// (removal of the replica, its log gone offline), after which waiters must look again.
    /// </summary>
    public void SignalStateChanged()
    {
        SignalLogEndMoved();
        SignalHighWatermarkMoved();
    }

    private void SignalLogEndMoved() => Interlocked.Exchange(ref _logEndMoved, NewSignal()).TrySetResult();

    private void SignalHighWatermarkMoved() => Interlocked.Exchange(ref _highWatermarkMoved, NewSignal()).TrySetResult();

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

    private static bool Contains(int[] brokers, int brokerId) => Array.IndexOf(brokers, brokerId) >= 0;

    /// <summary>
    /// The controller's view plus the leader's own ISR bookkeeping: <see cref="MaximalIsr"/> equals
    /// <see cref="Isr"/> unless an expansion is in flight; <see cref="PendingIsrChange"/> is the
    /// proposal awaiting the controller.
    /// </summary>
    private sealed record Leadership(int Leader, int LeaderEpoch, int PartitionEpoch, int[] Replicas, int[] Isr, int[] MaximalIsr, IsrChangeProposal? PendingIsrChange);
}
