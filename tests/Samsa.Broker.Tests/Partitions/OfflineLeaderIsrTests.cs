using Samsa.Broker.Partitions;
using Samsa.Broker.Tests.Replication;
using Samsa.Storage.Log;

namespace Samsa.Broker.Tests.Partitions;

/// <summary>
/// A leader whose log went offline proposes no ISR change, neither a shrink nor an expansion: in Kafka a broker whose log dir failed
/// has no partition left to propose from, and the controller moves leadership away. Dropping the
/// healthy followers from the ISR on its say would leave the partition nowhere to fail over to.
/// </summary>
public sealed class OfflineLeaderIsrTests
{
    [Fact]
    public void A_leader_with_an_offline_log_does_not_shrink_the_isr()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(1, 1, 0, [1, 2, 3], [1, 2, 3]);
        long end = bed.Append(3);
        p.UpdateFollowerFetchState(2, end, 0, end);

        // The segment file turns into something that cannot be read (EISDIR), and a read finds out.
        BrokenSegment.Break(p.Log);
        Assert.Equal(LogReadStatus.StorageError, p.Log.Read(0, 1 << 20, long.MaxValue, minOneBatch: true).Status);
        Assert.True(p.Log.IsOffline);

        // Follower 3 has lagged past replica.lag.time.max.ms: an online leader would propose [1, 2].
        bed.Clock.Advance(TimeSpan.FromMilliseconds(PartitionTestBed.LagMs + 1));
        Assert.False(p.MaybeShrinkIsr());
        Assert.Empty(bed.Proposals.All);
        Assert.Equal([1, 2, 3], p.Isr);
    }

    [Fact]
    public void A_leader_with_an_offline_log_does_not_add_a_caught_up_follower_to_the_isr()
    {
        using var bed = new PartitionTestBed();
        Partition p = bed.Partition;
        p.ApplyLeadership(1, 1, 0, [1, 2, 3], [1, 2]);
        long end = bed.Append(3);
        p.UpdateFollowerFetchState(2, end, 0, end);

        BrokenSegment.Break(p.Log);
        Assert.Equal(LogReadStatus.StorageError, p.Log.Read(0, 1 << 20, long.MaxValue, minOneBatch: true).Status);
        Assert.True(p.Log.IsOffline);

        // Follower 3 reaches the log end and the high watermark: an online leader would propose [1, 2, 3].
        p.UpdateFollowerFetchState(3, end, 0, end);
        Assert.Empty(bed.Proposals.All);
        Assert.Null(p.PendingIsrChange);
        Assert.Equal([1, 2], p.Isr);
    }
}
