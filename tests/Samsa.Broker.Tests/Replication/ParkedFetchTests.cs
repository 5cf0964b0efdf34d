using Samsa.Broker.Fetching;
using Samsa.Broker.Handlers;
using Samsa.Broker.Partitions;
using Samsa.Broker.Tests.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// A fetch parked at the leader (nothing new yet, MaxWaitMs not over) must return as soon as the
/// leader appends: with acks=all every waiting produce waits for the followers' next fetch, so a
/// follower fetch that sleeps through an append holds them all for replica.fetch.wait.max.ms.
/// MaxWaitMs here is far longer than the deadline each fetch must meet, so only a wake-up on the
/// append can pass.
/// </summary>
public sealed class ParkedFetchTests
{
    private const int LongWaitMs = 60_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly TopicPartition Id = new("parked", 0);

    [Fact]
    public async Task A_parked_follower_fetch_returns_as_soon_as_the_leader_appends()
    {
        await using ReplicaNode node = StartLeader([1, 2], out Partition leader, out FetchHandler handler);

        // The handler runs synchronously up to its wait: a task not yet complete is a parked fetch.
        Task<FetchResponseData.PartitionData> parked = FetchAsync(handler, replicaId: 2, offset: 0, LongWaitMs);
        Assert.False(parked.IsCompleted);

        Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(3), -1, 1).Error);

        FetchResponseData.PartitionData data = await parked.WaitAsync(Deadline);
        Assert.Equal((short)ErrorCode.None, data.ErrorCode);
        Assert.Equal(LogContent.Bytes(leader.Log), data.Records!.Value.ToArray());
    }

    [Fact]
    public async Task A_parked_consumer_fetch_returns_as_soon_as_the_high_watermark_moves()
    {
        await using ReplicaNode node = StartLeader([1, 2], out Partition leader, out FetchHandler handler);
        Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(3), -1, 1).Error);

        // Appended but not replicated: a consumer at offset 0 has nothing to read yet.
        Task<FetchResponseData.PartitionData> parked = FetchAsync(handler, replicaId: -1, offset: 0, LongWaitMs);
        Assert.False(parked.IsCompleted);

        // The follower's next fetch (from the log end) says it has everything: the high watermark moves.
        await FetchAsync(handler, replicaId: 2, offset: 3, maxWaitMs: 0).WaitAsync(Deadline);

        FetchResponseData.PartitionData data = await parked.WaitAsync(Deadline);
        Assert.Equal(3, data.HighWatermark);
        Assert.Equal(LogContent.Bytes(leader.Log), data.Records!.Value.ToArray());
    }

    [Fact]
    public async Task A_parked_follower_fetch_sleeps_through_a_high_watermark_move_and_wakes_on_the_next_append()
    {
        await using ReplicaNode node = StartLeader([1, 2, 3], out Partition leader, out FetchHandler handler);
        int wakeUps = 0;
        handler.Woken = () => Interlocked.Increment(ref wakeUps);
        Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(3), -1, 1).Error);

        // Follower 2 has all three records and parks; follower 3's fetch then moves the high watermark.
        Task<FetchResponseData.PartitionData> parked = FetchAsync(handler, replicaId: 2, offset: 3, LongWaitMs);
        Assert.False(parked.IsCompleted);
        await FetchAsync(handler, replicaId: 3, offset: 3, maxWaitMs: 0).WaitAsync(Deadline);
        Assert.Equal(3, leader.HighWatermark);

        Assert.Equal(ErrorCode.None, leader.AppendAsLeader(PartitionTestBed.Batch(2), -1, 1).Error);

        FetchResponseData.PartitionData data = await parked.WaitAsync(Deadline);
        Assert.True(data.Records is { Length: > 0 });
        // Woken once, by the append; the high watermark move (nothing new for it to read) let it sleep.
        Assert.Equal(1, Volatile.Read(ref wakeUps));
    }

    /// <summary>
    /// An append racing with the fetch that reads the log: whether it lands before the read,
    /// during it, or after the fetch parked, the fetch returns it within the deadline. Before
    /// the change signal was taken ahead of the read, an append between the read and the wait was
    /// missed until MaxWaitMs.
    /// </summary>
    [Fact]
    public async Task An_append_racing_with_a_follower_fetch_is_never_missed()
    {
        await using ReplicaNode node = StartLeader([1, 2], out Partition leader, out FetchHandler handler);
        byte[] batch = PartitionTestBed.Batch(1);
        using var start = new Barrier(2);
        for (int round = 0; round < 300; round++)
        {
            long offset = leader.LogEndOffset;
            Task append = Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait(Deadline);
                    Assert.Equal(ErrorCode.None, leader.AppendAsLeader(batch.AsSpan().ToArray(), -1, 1).Error);
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
            start.SignalAndWait(Deadline);
            FetchResponseData.PartitionData data = await FetchAsync(handler, replicaId: 2, offset, LongWaitMs).WaitAsync(Deadline);
            await append.WaitAsync(Deadline);

            Assert.Equal((short)ErrorCode.None, data.ErrorCode);
            Assert.True(data.Records is { Length: > 0 }, $"round {round}: the fetch from {offset} returned no records");
        }
    }

    /// <summary>Broker 1 leading the partition with <paramref name="replicas"/> all in sync, and its fetch handler.</summary>
    private static ReplicaNode StartLeader(int[] replicas, out Partition leader, out FetchHandler handler)
    {
        ReplicaNode node = ReplicaNode.Start(1, new TestController());
        node.LeaderAndIsr(1, Id, Uuid.NewRandom(), 1, 1, 0, replicas, replicas);
        leader = node.Partition(Id);
        handler = new FetchHandler(node.Partitions, node.Metadata, TimeProvider.System, new FetchSessionCache(4));
        return node;
    }

    private static Task<FetchResponseData.PartitionData> FetchAsync(FetchHandler handler, int replicaId, long offset, int maxWaitMs)
    {
        var request = new FetchRequestData { ReplicaId = replicaId, MaxWaitMs = maxWaitMs, MinBytes = 1, MaxBytes = 1 << 20, SessionEpoch = -1 };
        request.Topics.Add(new FetchRequestData.FetchTopic
        {
            Topic = Id.Topic,
            Partitions = [new FetchRequestData.FetchPartition { Partition = Id.Partition, FetchOffset = offset, PartitionMaxBytes = 1 << 20 }],
        });
        return PartitionOf(handler.CallAsync<FetchResponseData>(request, 12));
    }

    private static async Task<FetchResponseData.PartitionData> PartitionOf(Task<FetchResponseData> response) => (await response.ConfigureAwait(false)).Responses[0].Partitions[0];
}
