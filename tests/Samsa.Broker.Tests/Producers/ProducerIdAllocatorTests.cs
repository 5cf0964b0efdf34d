using System.Text;
using Samsa.Broker.Producers;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Coordination.Embedded;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Producers;

public sealed class ProducerIdAllocatorTests
{
    [Fact]
    public async Task Ids_come_from_claimed_blocks_and_never_repeat_across_restarts()
    {
        using var dir = new TempDirectory();
        var seen = new HashSet<long>();
        for (int run = 0; run < 3; run++)
        {
            // Each run is a broker start: a fresh allocator over the same durable store.
            await using EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(dir.Path, TimeProvider.System);
            if (await store.ExistsAsync(ZkPaths.LatestProducerIdBlock) is null)
            {
                await store.CreateAsync(ZkPaths.LatestProducerIdBlock, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent);
            }

            var allocator = new ProducerIdAllocator(store, brokerId: 1);
            for (int i = 0; i < 1500; i++)
            {
                Assert.True(seen.Add(await allocator.NextAsync(CancellationToken.None)));
            }

            NodeData? block = await store.GetDataAsync(ZkPaths.LatestProducerIdBlock);
            long end = (run * 2000) + 1999;
            Assert.Equal($"{{\"version\":1,\"broker\":1,\"block_start\":\"{end - 999}\",\"block_end\":\"{end}\"}}", Encoding.UTF8.GetString(block!.Data.Span));
        }
    }

    [Fact]
    public async Task Two_brokers_sharing_the_store_get_disjoint_blocks()
    {
        using var dir = new TempDirectory();
        await using EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(dir.Path, TimeProvider.System);
        var first = new ProducerIdAllocator(store, brokerId: 1);
        var second = new ProducerIdAllocator(store, brokerId: 2);
        Assert.Equal(0, await first.NextAsync(CancellationToken.None));
        Assert.Equal(1000, await second.NextAsync(CancellationToken.None));
        Assert.Equal(1, await first.NextAsync(CancellationToken.None));
    }
}
