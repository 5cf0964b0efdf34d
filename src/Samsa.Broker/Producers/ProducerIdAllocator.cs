using Samsa.Broker.ZNodes;
using Samsa.Coordination;

namespace Samsa.Broker.Producers;

/// <summary>
/// Hands out producer ids for InitProducerId (Kafka's ZkProducerIdManager): ids come from blocks of
/// <see cref="BlockSize"/> claimed in /latest_producer_id_block by compare-and-set on the znode
/// version, so no id is ever given twice, across brokers and across restarts (a restart claims a
/// fresh block; the rest of the old one is simply never used). One caller at a time claims a block
/// (<see cref="_gate"/>); the other requests wait for it asynchronously.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim holds no OS handle unless AvailableWaitHandle is used, which this type never does; it lives as long as the broker.")]
internal sealed class ProducerIdAllocator(ICoordinationStore store, int brokerId)
{
    public const long BlockSize = 1000;

    // Lost compare-and-sets mean another broker claimed a block meanwhile; give up after this many.
    private const int MaxClaimAttempts = 10;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _next;
    private long _blockEnd = -1;

    /// <summary>The next unused producer id.</summary>
    /// <exception cref="CoordinationException">The store failed or the block could not be claimed.</exception>
    /// <exception cref="InvalidDataException">The znode holds something that is not a block.</exception>
    public async ValueTask<long> NextAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_next > _blockEnd)
            {
                (_next, _blockEnd) = await ClaimBlockAsync(cancellationToken).ConfigureAwait(false);
            }

            return _next++;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<(long Start, long End)> ClaimBlockAsync(CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < MaxClaimAttempts; attempt++)
        {
            NodeData? current = await store.GetDataAsync(ZkPaths.LatestProducerIdBlock, cancellationToken: cancellationToken).ConfigureAwait(false);
            long start = current is null || current.Data.IsEmpty ? 0 : ProducerIdBlockZNode.DecodeBlockEnd(current.Data.Span) + 1;
            if (start < 0 || start > long.MaxValue - BlockSize)
            {
                throw new CoordinationException(CoordinationError.ApiError, "Producer ids are exhausted.", ZkPaths.LatestProducerIdBlock);
            }

            long end = start + BlockSize - 1;
            byte[] data = ProducerIdBlockZNode.Encode(brokerId, start, end);
            try
            {
                if (current is null)
                {
                    await store.CreateAsync(ZkPaths.LatestProducerIdBlock, data, CreateMode.Persistent, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await store.SetDataAsync(ZkPaths.LatestProducerIdBlock, data, current.Stat.Version, cancellationToken).ConfigureAwait(false);
                }

                return (start, end);
            }
            catch (CoordinationException e) when (e.Error is CoordinationError.BadVersion or CoordinationError.NodeExists)
            {
                // Another broker claimed the block we read; read again and take the next one.
            }
        }

        throw new CoordinationException(CoordinationError.BadVersion, $"Could not claim a producer id block in {MaxClaimAttempts} attempts.", ZkPaths.LatestProducerIdBlock);
    }
}
