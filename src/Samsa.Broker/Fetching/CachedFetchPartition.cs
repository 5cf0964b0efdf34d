using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Fetching;

/// <summary>
/// One partition of a fetch session: the client's latest fetch parameters (kept until it sends
/// the partition again) and what the broker last told it (high watermark, last stable offset, log
/// start offset), which decides whether an incremental response must mention the partition.
/// Touched only under its session's lock.
/// </summary>
internal sealed class CachedFetchPartition(FetchSessionKey key, FetchRequestData.FetchPartition fetch)
{
    public FetchSessionKey Key { get; } = key;

    public FetchRequestData.FetchPartition Fetch { get; set; } = fetch;

    // -1 until sent: the first response after the partition joined always carries it.
    private long _highWatermark = -1;
    private long _lastStableOffset = -1;
    private long _logStartOffset = -1;

    /// <summary>
    /// Records what <paramref name="data"/> tells the client and returns whether an incremental
    /// response must include it: new records, a moved high watermark, last stable offset or log
    /// start, or an error. After an error the cached high watermark is forgotten (as in Kafka), so
    /// the partition is sent again once the error clears.
    /// </summary>
    public bool Update(FetchResponseData.PartitionData data)
    {
        bool mustRespond = data.Records is { Length: > 0 };
        if (data.HighWatermark != _highWatermark)
        {
            mustRespond = true;
            _highWatermark = data.HighWatermark;
        }

        if (data.LastStableOffset != _lastStableOffset)
        {
            mustRespond = true;
            _lastStableOffset = data.LastStableOffset;
        }

        if (data.LogStartOffset != _logStartOffset)
        {
            mustRespond = true;
            _logStartOffset = data.LogStartOffset;
        }

        if (data.PreferredReadReplica != -1 || data.DivergingEpoch.EndOffset != -1)
        {
            mustRespond = true;
        }

        if (data.ErrorCode != (short)ErrorCode.None)
        {
            _highWatermark = -1;
            mustRespond = true;
        }

        return mustRespond;
    }
}
