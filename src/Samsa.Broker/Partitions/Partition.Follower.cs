using Samsa.Protocol;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The follower's side of replication: the replica fetcher appends the leader's batches, takes
/// its high watermark and log start, and truncates a divergent tail. Every call names the leader
/// epoch the fetcher works for and is refused once this replica leads or follows a newer epoch,
/// under the same lock as <see cref="ApplyLeadership"/>, so a late response can never write into
/// a log that has become a leader's.
/// </summary>
internal sealed partial class Partition
{
    /// <summary>Appends replicated batches as they are (offsets, epochs) and moves nothing else.</summary>
    public (ErrorCode Error, LogAppendInfo Info) AppendAsFollower(ReadOnlyMemory<byte> records, int leaderEpoch)
    {
        LogAppendInfo info;
        lock (_lock)
        {
            ErrorCode following = CheckFollowing(leaderEpoch);
            if (following != ErrorCode.None)
            {
                return (following, default);
            }

            info = Log.AppendAsFollower(records);
        }

        if (info.Status == LogAppendStatus.Success)
        {
            SignalLogEndMoved();
        }

        return (ToErrorCode(info.Status), info);
    }

    /// <summary>
    /// Takes the leader's high watermark, capped by what this replica has (Kafka's follower
    /// updateHighWatermark; unlike the leader's it may move back, after a leader change).
    /// </summary>
    public ErrorCode UpdateFollowerHighWatermark(long leaderHighWatermark, int leaderEpoch)
    {
        lock (_lock)
        {
            ErrorCode following = CheckFollowing(leaderEpoch);
            if (following != ErrorCode.None)
            {
                return following;
            }

            long updated = Math.Max(Math.Min(leaderHighWatermark, Log.LogEndOffset), Log.LogStartOffset);
            if (updated == Volatile.Read(ref _highWatermark))
            {
                return ErrorCode.None;
            }

            Volatile.Write(ref _highWatermark, updated);
        }

        SignalHighWatermarkMoved();
        return ErrorCode.None;
    }

    /// <summary>Moves the log start up to the leader's (retention or DeleteRecords there), never past our high watermark.</summary>
    public ErrorCode MaybeIncrementLogStartOffset(long leaderLogStartOffset, int leaderEpoch)
    {
        lock (_lock)
        {
            ErrorCode following = CheckFollowing(leaderEpoch);
            if (following != ErrorCode.None)
            {
                return following;
            }

            long target = Math.Min(leaderLogStartOffset, Volatile.Read(ref _highWatermark));
            if (target > Log.LogStartOffset)
            {
                Log.DeleteRecordsBefore(target);
            }
        }

        return ErrorCode.None;
    }

    /// <summary>Removes everything at and above <paramref name="offset"/>; the high watermark follows the log end down.</summary>
    public ErrorCode TruncateTo(long offset, int leaderEpoch)
    {
        lock (_lock)
        {
            ErrorCode following = CheckFollowing(leaderEpoch);
            if (following != ErrorCode.None)
            {
                return following;
            }

            bool truncated;
            try
            {
                truncated = Log.TruncateTo(offset);
            }
            catch (StorageException)
            {
                // Its fsync failed after the cut was made: the log is offline now (and said so);
                // the high watermark still follows the log end down, and the fetcher drops it.
                CapHighWatermarkAtLogEnd();
                return ErrorCode.KafkaStorageError;
            }

            if (!truncated)
            {
                // No records above the offset, but an epoch this replica began there as leader
                // (with nothing written) must go too, or the next divergence check repeats forever.
                Log.LeaderEpochCache.TruncateFromEnd(offset);
                return ErrorCode.None;
            }

            CapHighWatermarkAtLogEnd();
        }

        SignalStateChanged();
        return ErrorCode.None;
    }

    /// <summary>Empties the log and restarts it at <paramref name="offset"/> (the leader's log start moved past ours).</summary>
    public ErrorCode TruncateFullyAndStartAt(long offset, int leaderEpoch)
    {
        lock (_lock)
        {
            ErrorCode following = CheckFollowing(leaderEpoch);
            if (following != ErrorCode.None)
            {
                return following;
            }

            try
            {
                Log.TruncateFullyAndStartAt(offset);
            }
            catch (StorageException)
            {
                // As in TruncateTo: emptied, then its fsync failed; offline, and dropped by the fetcher.
                Volatile.Write(ref _highWatermark, Log.LogEndOffset);
                return ErrorCode.KafkaStorageError;
            }

            Volatile.Write(ref _highWatermark, offset);
        }

        SignalStateChanged();
        return ErrorCode.None;
    }

    /// <summary>Under _lock: NOT_LEADER_OR_FOLLOWER once this replica leads, FENCED_LEADER_EPOCH once its epoch moved on.</summary>
    private ErrorCode CheckFollowing(int leaderEpoch)
    {
        Leadership leadership = _leadership;
        return leadership.Leader == _localBrokerId || leadership.Leader < 0 ? ErrorCode.NotLeaderOrFollower
            : leadership.LeaderEpoch != leaderEpoch ? ErrorCode.FencedLeaderEpoch
            : ErrorCode.None;
    }

    private void CapHighWatermarkAtLogEnd()
    {
        long end = Log.LogEndOffset;
        if (Volatile.Read(ref _highWatermark) > end)
        {
            Volatile.Write(ref _highWatermark, end);
        }
    }
}
