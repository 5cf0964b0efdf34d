using System.Buffers.Binary;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.LoadGenerator;

/// <summary>
/// One pipeline slot of a fetch connection: its own request template, fetch session and position
/// in every partition. A slot has at most one request in flight, so its positions and session
/// epoch follow its own responses; slots of a connection read the same log independently. Each
/// partition is read from offset 0 (or the log start) to the high watermark and wraps around; a
/// pass ends at the high watermark. With a pass limit a finished partition stays parked at the
/// high watermark, where it returns nothing, so counted records are exactly passes x log.
/// Owned by its connection's loop.
/// </summary>
internal sealed class FetchSlot : IDisposable
{
    private const int BatchBaseOffsetOffset = 0;
    private const int LastOffsetDeltaOffset = 23;
    private const int RecordCountOffset = 57;

    private readonly FetchRequestTemplate _template;
    private readonly bool _incremental;
    private readonly int _passLimit;
    private readonly long[] _positions;
    private readonly long[] _passes;
    private readonly bool[] _parked;
    private int _parkedCount;
    private int _rotation;
    private int _sessionId;
    private int _sessionEpoch;
    private int _sentEpoch;

    public FetchSlot(LoadOptions options, TopicLayout topic)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(topic);
        _template = new FetchRequestTemplate(options, topic);
        _incremental = options.IncrementalFetch;
        _passLimit = options.FetchPasses;
        _positions = new long[topic.Partitions];
        _passes = new long[topic.Partitions];
        _parked = new bool[topic.Partitions];
    }

    public long Records { get; private set; }

    public long Batches { get; private set; }

    public long BatchBytes { get; private set; }

    /// <summary>Every partition has made the pass limit (never, without one).</summary>
    public bool Done => _passLimit > 0 && _parkedCount == _positions.Length;

    public long FewestPasses
    {
        get
        {
            long fewest = long.MaxValue;
            foreach (long passes in _passes)
            {
                fewest = Math.Min(fewest, passes);
            }

            return fewest;
        }
    }

    /// <summary>Patches the template for the next request and returns the frame to send.</summary>
    public ReadOnlyMemory<byte> Prepare(int correlationId)
    {
        _template.SetCorrelationId(correlationId);
        int partitions = _positions.Length;
        for (int entry = 0; entry < partitions; entry++)
        {
            int partition = entry + _rotation;
            if (partition >= partitions)
            {
                partition -= partitions;
            }

            _template.SetEntry(entry, partition, _positions[partition]);
        }

        _rotation = _rotation + 1 == partitions ? 0 : _rotation + 1;
        if (_incremental)
        {
            _sentEpoch = _sessionEpoch;
            _template.SetSession(_sessionId, _sessionEpoch);
        }

        return _template.Bytes;
    }

    /// <summary>Counts the complete batches of one partition's answer and moves its position.</summary>
    public void OnPartition(int partition, ErrorCode error, long highWatermark, long logStartOffset, ReadOnlyMemory<byte> records)
    {
        if ((uint)partition >= (uint)_positions.Length || _parked[partition])
        {
            return;
        }

        if (error == ErrorCode.OffsetOutOfRange)
        {
            _positions[partition] = Math.Max(logStartOffset, 0);
            return;
        }

        if (error != ErrorCode.None)
        {
            return;
        }

        long position = _positions[partition];
        foreach (ReadOnlyMemory<byte> batch in RecordBatch.Enumerate(records))
        {
            ReadOnlySpan<byte> header = batch.Span;
            if (header.Length < RecordBatch.HeaderSize)
            {
                break;
            }

            long lastOffset = BinaryPrimitives.ReadInt64BigEndian(header[BatchBaseOffsetOffset..]) + BinaryPrimitives.ReadInt32BigEndian(header[LastOffsetDeltaOffset..]);
            if (lastOffset < position)
            {
                continue; // a batch before the fetch offset, which a broker may return whole
            }

            Records += BinaryPrimitives.ReadInt32BigEndian(header[RecordCountOffset..]);
            Batches++;
            BatchBytes += batch.Length;
            position = lastOffset + 1;
        }

        _positions[partition] = position;
        if (position >= highWatermark)
        {
            _passes[partition]++;
            if (_passLimit > 0 && _passes[partition] >= _passLimit)
            {
                _parked[partition] = true;
                _parkedCount++;
            }
            else
            {
                _positions[partition] = Math.Max(logStartOffset, 0);
            }
        }
    }

    /// <summary>Follows the fetch session (KIP-227) after a response.</summary>
    public void OnResponse(ErrorCode error, int sessionId)
    {
        if (!_incremental)
        {
            return;
        }

        if (error is ErrorCode.FetchSessionIdNotFound or ErrorCode.InvalidFetchSessionEpoch)
        {
            // The session is gone (evicted, or an epoch went astray): start over with a full fetch.
            _sessionId = 0;
            _sessionEpoch = 0;
            return;
        }

        if (_sentEpoch == 0)
        {
            // A full fetch: the broker opened a session, or (sessions off, cache full) answered without one.
            _sessionId = sessionId;
            _sessionEpoch = sessionId == 0 ? 0 : 1;
            return;
        }

        _sessionEpoch = _sessionEpoch == int.MaxValue ? 1 : _sessionEpoch + 1;
    }

    public void Dispose() => _template.Dispose();
}
