using Samsa.Broker.Replication;
using Samsa.Protocol;

namespace Samsa.Broker.Partitions;

/// <summary>
/// The leader's side of replication: each follower's progress from its fetches, the high
/// watermark they allow, and ISR shrink and expand proposals (Kafka 3.x rules; a proposal goes to
/// the controller through <see cref="IIsrChangeSubmitter"/> and takes effect when it answers).
/// </summary>
internal sealed partial class Partition
{
    // Leader only, under _lock: the other assigned replicas' progress, and where this leader's epoch began.
    private FollowerProgress[] _followers = [];
    private long _leaderEpochStartOffset = -1;

    private long NowMs => _replication.Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Records a follower's fetch at <paramref name="fetchOffset"/> (it holds everything below it),
    /// served when this leader's log ended at <paramref name="leaderEndOffset"/>; then proposes adding
    /// the follower to the ISR if it caught up (not while this log is offline) and moves the high
    /// watermark, which completes waiting acks=all produces. NOT_LEADER_OR_FOLLOWER when this broker
    /// does not lead or <paramref name="replicaId"/> is not an assigned replica (as Kafka 3.5+ answers).
    /// </summary>
    public ErrorCode UpdateFollowerFetchState(int replicaId, long fetchOffset, long followerLogStartOffset, long leaderEndOffset)
    {
        IsrChangeProposal? proposal;
        bool moved;
        lock (_lock)
        {
            if (_leadership.Leader != _localBrokerId)
            {
                return ErrorCode.NotLeaderOrFollower;
            }

            FollowerProgress? follower = FindFollower(replicaId);
            if (follower is null)
            {
                return ErrorCode.NotLeaderOrFollower;
            }

            follower.RecordFetch(fetchOffset, followerLogStartOffset, leaderEndOffset, NowMs);
            proposal = MaybeProposeExpansion(follower);
            moved = MaybeAdvanceHighWatermark();
        }

        if (proposal is not null)
        {
            _replication.IsrChanges.Submit(proposal);
        }

        if (moved)
        {
            SignalHighWatermarkMoved();
        }

        return ErrorCode.None;
    }

    /// <summary>
    /// The periodic ISR check (every replica.lag.time.max.ms / 2): proposes to drop the ISR members
    /// that are behind the leader's log end and have not been caught up for replica.lag.time.max.ms.
    /// Nothing while another proposal is in flight, nor when this replica's log is offline (as in
    /// Kafka, where a broker whose log dir failed has no partition left to propose from: the
    /// controller moves leadership away instead). Returns whether it proposed a change.
    /// </summary>
    public bool MaybeShrinkIsr()
    {
        IsrChangeProposal proposal;
        lock (_lock)
        {
            Leadership leadership = _leadership;
            if (leadership.Leader != _localBrokerId || leadership.PendingIsrChange is not null || Log.IsOffline)
            {
                return false;
            }

            long leaderEnd = Log.LogEndOffset;
            long now = NowMs;
            int[] isr = leadership.Isr;
            List<int>? keep = null;
            for (int i = 0; i < isr.Length; i++)
            {
                FollowerProgress? follower = isr[i] == _localBrokerId ? null : FindFollower(isr[i]);
                bool outOfSync = follower is not null
                    && follower.LogEndOffset != leaderEnd
                    && now - follower.LastCaughtUpTimeMs > _replication.ReplicaLagTimeMaxMs;
                if (outOfSync && keep is null)
                {
                    keep = new List<int>(isr.Length);
                    for (int j = 0; j < i; j++)
                    {
                        keep.Add(isr[j]);
                    }
                }
                else if (!outOfSync)
                {
                    keep?.Add(isr[i]);
                }
            }

            if (keep is null)
            {
                return false;
            }

            // While the shrink is in flight the high watermark still counts the old members (maximal ISR = ISR).
            proposal = new IsrChangeProposal(this, leadership.LeaderEpoch, leadership.PartitionEpoch, [.. keep], isExpansion: false);
            _leadership = leadership with { PendingIsrChange = proposal };
        }

        _replication.IsrChanges.Submit(proposal);
        return true;
    }

    /// <summary>
    /// Applies the controller's answer to <paramref name="proposal"/> (Kafka 3.x): success adopts
    /// the returned ISR and partition epoch unless leadership moved on since; OPERATION_NOT_ATTEMPTED
    /// and INELIGIBLE_REPLICA fall back to the committed ISR; a fenced epoch, a stale partition
    /// epoch or an unknown partition leave the proposal pending until the next LeaderAndIsr; other
    /// errors ask the sender to retry.
    /// </summary>
    public IsrChangeOutcome CompleteIsrChange(IsrChangeProposal proposal, ErrorCode error, int leaderEpoch, int partitionEpoch, int[] isr)
    {
        bool moved = false;
        IsrChangeOutcome outcome;
        lock (_lock)
        {
            Leadership leadership = _leadership;
            if (!ReferenceEquals(leadership.PendingIsrChange, proposal))
            {
                // A LeaderAndIsr replaced the state this proposal was made from.
                return IsrChangeOutcome.Applied;
            }

            switch (error)
            {
                case ErrorCode.None:
                    if (leaderEpoch == leadership.LeaderEpoch && partitionEpoch >= leadership.PartitionEpoch)
                    {
                        _leadership = leadership with { PartitionEpoch = partitionEpoch, Isr = isr, MaximalIsr = isr, PendingIsrChange = null };
                        moved = MaybeAdvanceHighWatermark();
                    }

                    outcome = IsrChangeOutcome.Applied;
                    break;
                case ErrorCode.OperationNotAttempted or ErrorCode.IneligibleReplica:
                    _leadership = leadership with { MaximalIsr = leadership.Isr, PendingIsrChange = null };
                    outcome = IsrChangeOutcome.Reverted;
                    break;
                case ErrorCode.FencedLeaderEpoch or ErrorCode.InvalidUpdateVersion or ErrorCode.UnknownTopicOrPartition or ErrorCode.InvalidRequest:
                    outcome = IsrChangeOutcome.AwaitingLeaderAndIsr;
                    break;
                default:
                    outcome = IsrChangeOutcome.Retry;
                    break;
            }
        }

        if (moved)
        {
            SignalStateChanged(); // the ISR changed too
        }

        return outcome;
    }

    /// <summary>The proposal still awaiting the controller, or null.</summary>
    public IsrChangeProposal? PendingIsrChange => _leadership.PendingIsrChange;

    /// <summary>
    /// Under _lock: proposes adding a non-ISR follower that reached the high watermark and this
    /// leader's epoch start. Not from a leader whose log is offline: what it has is no longer
    /// trusted, so a follower that matched it has not shown it holds the acknowledged records, and
    /// the controller is moving leadership away (the shrink side has the same guard).
    /// </summary>
    private IsrChangeProposal? MaybeProposeExpansion(FollowerProgress follower)
    {
        Leadership leadership = _leadership;
        if (leadership.PendingIsrChange is not null || Contains(leadership.Isr, follower.BrokerId) || Log.IsOffline)
        {
            return null;
        }

        long end = follower.LogEndOffset;
        if (end < Volatile.Read(ref _highWatermark) || end < _leaderEpochStartOffset)
        {
            return null;
        }

        int[] isr = leadership.Isr;
        int[] expanded = new int[isr.Length + 1];
        isr.CopyTo(expanded, 0);
        expanded[^1] = follower.BrokerId;
        var proposal = new IsrChangeProposal(this, leadership.LeaderEpoch, leadership.PartitionEpoch, expanded, isExpansion: true);
        _leadership = leadership with { MaximalIsr = expanded, PendingIsrChange = proposal };
        return proposal;
    }

    /// <summary>
    /// Under _lock. Kafka 3.1's rule: the high watermark is the smallest log end offset among the
    /// leader and every follower that is in the maximal ISR or was caught up within
    /// replica.lag.time.max.ms (a follower about to rejoin holds it too). It never moves back.
    /// Followers that have not fetched since this broker became leader hold it where it is.
    /// </summary>
    private bool MaybeAdvanceHighWatermark()
    {
        Leadership leadership = _leadership;
        if (leadership.Leader != _localBrokerId)
        {
            return false;
        }

        long candidate = Log.LogEndOffset;
        long now = NowMs;
        foreach (FollowerProgress follower in _followers)
        {
            if (follower.LogEndOffset < candidate
                && (Contains(leadership.MaximalIsr, follower.BrokerId) || now - follower.LastCaughtUpTimeMs <= _replication.ReplicaLagTimeMaxMs))
            {
                candidate = follower.LogEndOffset;
            }
        }

        if (candidate <= Volatile.Read(ref _highWatermark))
        {
            return false;
        }

        Volatile.Write(ref _highWatermark, candidate);
        return true;
    }

    /// <summary>Under _lock: one progress entry per assigned replica other than this broker; <paramref name="reset"/> forgets what was known.</summary>
    private void TrackFollowers(int[] replicas, int[] isr, bool reset)
    {
        long now = NowMs;
        var followers = new FollowerProgress[replicas.Length - (Contains(replicas, _localBrokerId) ? 1 : 0)];
        int n = 0;
        foreach (int replica in replicas)
        {
            if (replica == _localBrokerId)
            {
                continue;
            }

            FollowerProgress? known = reset ? null : FindFollower(replica);
            if (known is null)
            {
                known = new FollowerProgress(replica);
                known.Reset(Contains(isr, replica), now);
            }

            followers[n++] = known;
        }

        _followers = followers;
    }

    private FollowerProgress? FindFollower(int brokerId)
    {
        foreach (FollowerProgress follower in _followers)
        {
            if (follower.BrokerId == brokerId)
            {
                return follower;
            }
        }

        return null;
    }

    /// <summary>A copy of what this leader knows about <paramref name="brokerId"/>'s fetches, or null (tests, diagnostics).</summary>
    public (long LogEndOffset, long LastCaughtUpTimeMs)? FollowerState(int brokerId)
    {
        lock (_lock)
        {
            FollowerProgress? follower = FindFollower(brokerId);
            return follower is null ? null : (follower.LogEndOffset, follower.LastCaughtUpTimeMs);
        }
    }
}
