using Samsa.Broker.Partitions;
using Samsa.Broker.Replication;
using Samsa.Protocol;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// The leader's replication rules on a real log: the high watermark from the followers' fetches,
/// ISR shrink after replica.lag.time.max.ms, expansion when a follower catches up, the maximal ISR
/// while a change is in flight, and the controller's answers.
/// </summary>
public sealed class LeaderReplicationTests
{
    private const int Leader = 1;

    [Fact]
    public void High_watermark_is_the_smallest_log_end_offset_in_the_isr()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        Assert.True(p.ApplyLeadership(Leader, 1, 0, [1, 2, 3], [1, 2, 3]));
        bed.Append(4);
        long end = bed.Append(6);
        Assert.Equal(10, end);

        // Followers have not fetched since this broker became leader: nothing is committed.
        Assert.Equal(0, p.HighWatermark);
        Assert.Equal(ErrorCode.None, p.UpdateFollowerFetchState(2, 10, 0, end));
        Assert.Equal(0, p.HighWatermark);
        Assert.Equal(ErrorCode.None, p.UpdateFollowerFetchState(3, 4, 0, end));
        Assert.Equal(4, p.HighWatermark);
        Assert.Equal(ErrorCode.None, p.UpdateFollowerFetchState(3, 10, 0, end));
        Assert.Equal(10, p.HighWatermark);
    }

    [Fact]
    public void High_watermark_never_moves_back()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2], [1, 2]);
        long end = bed.Append(5);
        p.UpdateFollowerFetchState(2, end, 0, end);
        Assert.Equal(5, p.HighWatermark);

        // A follower that lost its tail (a restart) fetches from lower down.
        p.UpdateFollowerFetchState(2, 2, 0, end);
        Assert.Equal(5, p.HighWatermark);

        // A new leader epoch for the same leader keeps it too.
        p.ApplyLeadership(Leader, 2, 1, [1, 2], [1, 2]);
        Assert.Equal(5, p.HighWatermark);
    }

    [Fact]
    public void A_follower_fetch_completes_a_waiting_acks_all_produce()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2], [1, 2]);
        long end = bed.Append(3);
        Task changed = p.WaitForHighWatermarkChangeAsync();
        Assert.False(changed.IsCompleted);

        p.UpdateFollowerFetchState(2, end, 0, end);

        Assert.True(changed.IsCompleted);
        Assert.Equal(end, p.HighWatermark);
    }

    [Fact]
    public void Isr_shrinks_only_after_a_follower_lags_for_replica_lag_time_max_ms()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 5, [1, 2, 3], [1, 2, 3]);
        long end = bed.Append(3);
        p.UpdateFollowerFetchState(2, end, 0, end);

        bed.Clock.Advance(TimeSpan.FromMilliseconds(PartitionTestBed.LagMs));
        p.UpdateFollowerFetchState(2, end, 0, end);
        Assert.False(p.MaybeShrinkIsr());

        bed.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(p.MaybeShrinkIsr());
        IsrChangeProposal proposal = bed.Proposals.Last;
        Assert.Equal([1, 2], proposal.NewIsr);
        Assert.Equal(1, proposal.LeaderEpoch);
        Assert.Equal(5, proposal.PartitionEpoch);

        // In flight: the committed ISR stands and still holds the high watermark back.
        Assert.Equal([1, 2, 3], p.Isr);
        Assert.Equal(0, p.HighWatermark);
        Assert.False(p.MaybeShrinkIsr());

        Task changed = p.WaitForHighWatermarkChangeAsync();
        Assert.Equal(IsrChangeOutcome.Applied, p.CompleteIsrChange(proposal, ErrorCode.None, 1, 6, [1, 2]));
        Assert.Equal([1, 2], p.Isr);
        Assert.Equal(6, p.PartitionEpoch);
        Assert.False(p.IsIsrChangePending);
        Assert.Equal(end, p.HighWatermark);
        Assert.True(changed.IsCompleted);
    }

    [Fact]
    public void A_caught_up_follower_at_the_log_end_is_never_dropped()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2], [1, 2]);
        long end = bed.Append(2);
        p.UpdateFollowerFetchState(2, end, 0, end);

        // No fetch for a long time, but nothing was written meanwhile: it is not behind.
        bed.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(p.MaybeShrinkIsr());
        Assert.Empty(bed.Proposals.All);
    }

    [Fact]
    public void A_follower_that_reaches_the_high_watermark_is_proposed_back_into_the_isr()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 3, [1, 2, 3], [1, 2]);
        long end = bed.Append(4);
        p.UpdateFollowerFetchState(2, end, 0, end);
        Assert.Equal(4, p.HighWatermark);

        p.UpdateFollowerFetchState(3, 2, 0, end);
        Assert.Empty(bed.Proposals.All);

        p.UpdateFollowerFetchState(3, 4, 0, end);
        IsrChangeProposal proposal = Assert.Single(bed.Proposals.All);
        Assert.True(proposal.IsExpansion);
        Assert.Equal([1, 2, 3], proposal.NewIsr);
        Assert.Equal([1, 2], p.Isr);
        Assert.Equal([1, 2, 3], p.MaximalIsr);

        Assert.Equal(IsrChangeOutcome.Applied, p.CompleteIsrChange(proposal, ErrorCode.None, 1, 4, [1, 2, 3]));
        Assert.Equal([1, 2, 3], p.Isr);
        Assert.Equal(4, p.PartitionEpoch);
    }

    [Fact]
    public void While_an_expansion_is_in_flight_the_added_follower_holds_the_high_watermark()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2, 3], [1, 2]);
        long end = bed.Append(4);
        p.UpdateFollowerFetchState(2, end, 0, end);
        p.UpdateFollowerFetchState(3, end, 0, end);
        Assert.True(p.IsIsrChangePending);

        // Follower 3 is still "lagging" by the clock, so only the maximal ISR makes it count.
        bed.Clock.Advance(TimeSpan.FromMilliseconds(PartitionTestBed.LagMs + 1));
        end = bed.Append(6);
        p.UpdateFollowerFetchState(2, end, 0, end);
        Assert.Equal(4, p.HighWatermark);

        p.UpdateFollowerFetchState(3, end, 0, end);
        Assert.Equal(end, p.HighWatermark);
    }

    [Fact]
    public void Only_one_isr_change_is_in_flight_and_a_refusal_reverts_to_the_committed_isr()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2, 3], [1]);
        long end = bed.Append(1);
        p.UpdateFollowerFetchState(2, end, 0, end);
        p.UpdateFollowerFetchState(3, end, 0, end);
        IsrChangeProposal first = Assert.Single(bed.Proposals.All);
        Assert.Equal([1, 2], first.NewIsr);

        Assert.Equal(IsrChangeOutcome.Reverted, p.CompleteIsrChange(first, ErrorCode.OperationNotAttempted, 0, 0, []));
        Assert.Equal([1], p.Isr);
        Assert.Equal([1], p.MaximalIsr);
        Assert.False(p.IsIsrChangePending);

        // The next fetch proposes again.
        p.UpdateFollowerFetchState(3, end, 0, end);
        Assert.Equal([1, 3], bed.Proposals.Last.NewIsr);
    }

    [Fact]
    public void A_stale_partition_epoch_waits_for_the_next_LeaderAndIsr_which_replaces_the_proposal()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2], [1]);
        long end = bed.Append(1);
        p.UpdateFollowerFetchState(2, end, 0, end);
        IsrChangeProposal proposal = bed.Proposals.Last;

        Assert.Equal(IsrChangeOutcome.AwaitingLeaderAndIsr, p.CompleteIsrChange(proposal, ErrorCode.InvalidUpdateVersion, 0, 0, []));
        Assert.True(p.IsIsrChangePending);
        Assert.Equal(IsrChangeOutcome.Retry, p.CompleteIsrChange(proposal, ErrorCode.NotController, 0, 0, []));

        p.ApplyLeadership(Leader, 1, 2, [1, 2], [1, 2]);
        Assert.False(p.IsIsrChangePending);
        Assert.Equal([1, 2], p.Isr);

        // A late answer to the replaced proposal changes nothing.
        Assert.Equal(IsrChangeOutcome.Applied, p.CompleteIsrChange(proposal, ErrorCode.None, 1, 1, [1]));
        Assert.Equal([1, 2], p.Isr);
        Assert.Equal(2, p.PartitionEpoch);
    }

    [Fact]
    public void An_answer_for_another_leader_epoch_is_not_adopted()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 3, 0, [1, 2], [1]);
        long end = bed.Append(1);
        p.UpdateFollowerFetchState(2, end, 0, end);
        IsrChangeProposal proposal = bed.Proposals.Last;

        p.CompleteIsrChange(proposal, ErrorCode.None, 2, 9, [1, 2]);
        Assert.Equal([1], p.Isr);
        Assert.Equal(0, p.PartitionEpoch);
    }

    [Fact]
    public void Fetches_from_brokers_outside_the_assignment_or_to_a_follower_are_refused()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2], [1, 2]);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, p.UpdateFollowerFetchState(7, 0, 0, 0));

        p.ApplyLeadership(2, 2, 1, [1, 2], [1, 2]);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, p.UpdateFollowerFetchState(2, 0, 0, 0));
    }

    [Fact]
    public void Acks_all_is_refused_when_the_committed_isr_is_below_min_insync_replicas()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2, 3], [1, 2]);
        (ErrorCode error, _) = p.AppendAsLeader(PartitionTestBed.Batch(1), -1, 3);
        Assert.Equal(ErrorCode.NotEnoughReplicas, error);
        Assert.Equal(0, p.LogEndOffset);

        (error, _) = p.AppendAsLeader(PartitionTestBed.Batch(1), 1, 3);
        Assert.Equal(ErrorCode.None, error);
    }

    [Fact]
    public void A_new_leader_gives_isr_followers_a_full_lag_period_and_waits_for_their_first_fetch()
    {
        using var bed = new PartitionTestBed(localBrokerId: 2);
        Partition p = bed.Partition;
        p.ApplyLeadership(1, 1, 0, [1, 2], [1, 2]);
        Assert.Equal(ErrorCode.None, p.AppendAsFollower(PartitionTestBed.Batch(3), 1).Error);
        p.UpdateFollowerHighWatermark(2, 1);
        Assert.Equal(2, p.HighWatermark);

        p.ApplyLeadership(2, 2, 1, [1, 2], [1, 2]);
        Assert.Equal(2, p.HighWatermark);
        Assert.Equal((-1L, bed.Clock.UnixTimeMilliseconds), p.FollowerState(1));

        bed.Clock.Advance(TimeSpan.FromMilliseconds(PartitionTestBed.LagMs));
        Assert.False(p.MaybeShrinkIsr());
        bed.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(p.MaybeShrinkIsr());
        Assert.Equal([2], bed.Proposals.Last.NewIsr);
    }
}
