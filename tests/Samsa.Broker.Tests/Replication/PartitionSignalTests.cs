using Samsa.Broker.Partitions;
using Samsa.Protocol;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// The partition's two change signals: follower fetches wait for the log end to move, acks=all
/// produces and consumer fetches for the high watermark. Each change wakes only the waiters it
/// concerns (a high watermark move used to wake the other follower's parked fetch, which read
/// nothing and parked again; every append woke every waiting acks=all produce), and a change of
/// leadership wakes both.
/// </summary>
public sealed class PartitionSignalTests
{
    private const int Leader = 1;

    [Fact]
    public void A_high_watermark_move_does_not_wake_a_follower_waiting_for_new_records()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2, 3], [1, 2, 3]);
        long end = bed.Append(3);
        // Follower 2 has everything and parks for more; follower 3 still holds the high watermark back.
        Assert.Equal(ErrorCode.None, p.UpdateFollowerFetchState(2, end, 0, end));
        Task followerWait = p.WaitForLogEndChangeAsync();
        Task producerWait = p.WaitForHighWatermarkChangeAsync();

        Assert.Equal(ErrorCode.None, p.UpdateFollowerFetchState(3, end, 0, end));

        Assert.Equal(end, p.HighWatermark);
        Assert.True(producerWait.IsCompleted);
        Assert.False(followerWait.IsCompleted);

        bed.Append(1);
        Assert.True(followerWait.IsCompleted);
    }

    [Fact]
    public void An_append_alone_does_not_wake_an_acks_all_produce_waiting_for_the_high_watermark()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2], [1, 2]);
        long end = bed.Append(3);
        Task producerWait = p.WaitForHighWatermarkChangeAsync();
        Task followerWait = p.WaitForLogEndChangeAsync();

        // Another producer's append: the follower has something to fetch, the waiting produce no answer yet.
        bed.Append(2);

        Assert.True(followerWait.IsCompleted);
        Assert.False(producerWait.IsCompleted);
        Assert.Null(p.AcksAllOutcome(end, 1, 1));

        Assert.Equal(ErrorCode.None, p.UpdateFollowerFetchState(2, end, 0, end + 2));
        Assert.True(producerWait.IsCompleted);
        Assert.Equal(ErrorCode.None, p.AcksAllOutcome(end, 1, 1));
    }

    [Fact]
    public void An_append_that_commits_at_once_wakes_both()
    {
        // A leader alone in the ISR (a standalone broker): the append moves the high watermark itself.
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1], [1]);
        Task consumerWait = p.WaitForHighWatermarkChangeAsync();
        Task followerWait = p.WaitForLogEndChangeAsync();

        long end = bed.Append(2);

        Assert.Equal(end, p.HighWatermark);
        Assert.True(consumerWait.IsCompleted);
        Assert.True(followerWait.IsCompleted);
    }

    [Fact]
    public void A_leadership_change_wakes_both()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(Leader, 1, 0, [1, 2], [1, 2]);
        bed.Append(2);
        Task producerWait = p.WaitForHighWatermarkChangeAsync();
        Task followerWait = p.WaitForLogEndChangeAsync();

        p.ApplyLeadership(2, 2, 1, [1, 2], [1, 2]);

        Assert.True(producerWait.IsCompleted);
        Assert.True(followerWait.IsCompleted);
        Assert.Equal(ErrorCode.NotLeaderOrFollower, p.AcksAllOutcome(2, 1, 1));
    }
}
