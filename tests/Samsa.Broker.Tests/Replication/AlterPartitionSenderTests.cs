using Samsa.Broker.Partitions;
using Samsa.Broker.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// The AlterPartition sender outlives a controller that stops under it: an in-process controller
/// shutting down cancels its work with its own token, which is a failed send to retry, not the
/// sender's own stop (CI found the sender's loop dead and the broker's shutdown throwing).
/// </summary>
public sealed class AlterPartitionSenderTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_send_cancelled_by_a_stopping_controller_is_retried_and_the_broker_still_stops_cleanly()
    {
        var controller = new TestController();
        var stoppingOnce = new StoppingOnceController(controller);
        ReplicaNode one = ReplicaNode.Start(1, stoppingOnce);
        bool oneStopped = false;
        await using ReplicaNode two = ReplicaNode.Start(2, controller);
        try
        {
            var id = new TopicPartition("expanding", 0);
            Uuid topicId = Uuid.NewRandom();
            one.UpdateLiveBrokers(1, one, two);
            two.UpdateLiveBrokers(1, one, two);
            controller.Set(id, 1, 0, [1]);
            one.LeaderAndIsr(1, id, topicId, 1, 1, 0, [1, 2], [1]);
            Partition leader = one.Partition(id);
            Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(3), -1, 1).Error);

            // The follower catches up; the leader proposes it back into the ISR and the first send is cancelled.
            two.LeaderAndIsr(1, id, topicId, 1, 1, 0, [1, 2], [1]);
            await Polling.UntilAsync(() => leader.Isr.Count == 2, Deadline, "the follower joins the ISR after the cancelled send");
            Assert.Equal(1, stoppingOnce.Cancelled);
            Assert.Equal([1, 2], controller.Get(id).Isr);

            // Before the fix the sender's loop had died with the foreign cancellation and rethrew it here.
            oneStopped = true;
            await one.DisposeAsync();
        }
        finally
        {
            if (!oneStopped)
            {
                await one.DisposeAsync();
            }
        }
    }

    /// <summary>Answers the first AlterPartition as a controller that is stopping does, then as <paramref name="inner"/>.</summary>
    private sealed class StoppingOnceController(IAlterPartitionChannel inner) : IAlterPartitionChannel
    {
        private int _cancelled;

        public int Cancelled => Volatile.Read(ref _cancelled);

        public ValueTask<AlterPartitionResponseData> SendAsync(AlterPartitionRequestData request, CancellationToken cancellationToken)
        {
            if (Interlocked.CompareExchange(ref _cancelled, 1, 0) == 0)
            {
                using var controllerStopping = new CancellationTokenSource();
                controllerStopping.Cancel();
                return ValueTask.FromException<AlterPartitionResponseData>(new OperationCanceledException(controllerStopping.Token));
            }

            return inner.SendAsync(request, cancellationToken);
        }
    }
}
