using System.Buffers.Binary;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.LoadGenerator;

/// <summary>
/// One Fetch request encoded once, for every partition of the topic; before each send the owner
/// patches in place the correlation id, the session id and epoch, and for each partition entry
/// which partition it names and its fetch offset (so the order can rotate, as consumers rotate it,
/// and no partition starves behind one that always has data). The patch positions are found by
/// encoding distinctive sentinel values and locating each exactly once in the frame.
/// </summary>
internal sealed class FetchRequestTemplate : IDisposable
{
    /// <summary>A fetch that waits this long (Kafka's fetch.max.wait.ms default) only when a partition has nothing.</summary>
    public const int MaxWaitMs = 500;

    private const int CorrelationIdOffset = Frame.SizePrefixLength + 2 + 2;
    private const int PartitionSentinel = 0x7A000000; // + entry index; indexes stay below 2^24
    private const long OffsetSentinel = 0x7A5A5A5A00000000; // + entry index
    private const int SessionIdSentinel = 0x7A5E5510;
    private const int SessionEpochSentinel = 0x7A5EE90C;

    private readonly PooledBufferWriter _frame = new();
    private readonly int[] _partitionPositions;
    private readonly int[] _offsetPositions;
    private readonly int _sessionIdPosition = -1;
    private readonly int _sessionEpochPosition = -1;

    public FetchRequestTemplate(LoadOptions options, TopicLayout topic)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(topic);
        int share = Math.Max(options.FetchMaxBytes / topic.Partitions, 1);
        var partitions = new List<FetchRequestData.FetchPartition>(topic.Partitions);
        for (int i = 0; i < topic.Partitions; i++)
        {
            partitions.Add(new FetchRequestData.FetchPartition
            {
                Partition = PartitionSentinel + i,
                FetchOffset = OffsetSentinel + i,
                PartitionMaxBytes = share,
            });
        }

        var request = new FetchRequestData
        {
            MaxWaitMs = MaxWaitMs,
            MinBytes = 1,
            MaxBytes = options.FetchMaxBytes,
            SessionId = options.IncrementalFetch ? SessionIdSentinel : 0,
            SessionEpoch = options.IncrementalFetch ? SessionEpochSentinel : -1,
            Topics = [new FetchRequestData.FetchTopic { Topic = topic.Name, TopicId = topic.TopicId, Partitions = partitions }],
        };
        Frame.WriteRequest(_frame, new RequestHeader { ApiKey = request.ApiKey, ApiVersion = options.FetchVersion, ClientId = options.ClientId }, request);

        ReadOnlySpan<byte> frame = _frame.WrittenSpan;
        Span<byte> pattern = stackalloc byte[sizeof(long)];
        _partitionPositions = new int[topic.Partitions];
        _offsetPositions = new int[topic.Partitions];
        for (int i = 0; i < topic.Partitions; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(pattern, PartitionSentinel + i);
            _partitionPositions[i] = FindOnce(frame, pattern[..sizeof(int)]);
            BinaryPrimitives.WriteInt64BigEndian(pattern, OffsetSentinel + i);
            _offsetPositions[i] = FindOnce(frame, pattern);
        }

        if (options.IncrementalFetch)
        {
            BinaryPrimitives.WriteInt32BigEndian(pattern, SessionIdSentinel);
            _sessionIdPosition = FindOnce(frame, pattern[..sizeof(int)]);
            BinaryPrimitives.WriteInt32BigEndian(pattern, SessionEpochSentinel);
            _sessionEpochPosition = FindOnce(frame, pattern[..sizeof(int)]);
        }
    }

    public ReadOnlyMemory<byte> Bytes => _frame.WrittenMemory;

    public int Entries => _partitionPositions.Length;

    public void SetCorrelationId(int correlationId) => Patch32(CorrelationIdOffset, correlationId);

    /// <summary>Sets what the <paramref name="entry"/>-th partition entry asks for.</summary>
    public void SetEntry(int entry, int partition, long fetchOffset)
    {
        Patch32(_partitionPositions[entry], partition);
        BinaryPrimitives.WriteInt64BigEndian(_frame.WrittenSpanForPatch[_offsetPositions[entry]..], fetchOffset);
    }

    /// <summary>Session id and epoch; only for a template built for incremental fetch.</summary>
    public void SetSession(int sessionId, int sessionEpoch)
    {
        Patch32(_sessionIdPosition, sessionId);
        Patch32(_sessionEpochPosition, sessionEpoch);
    }

    private void Patch32(int position, int value) => BinaryPrimitives.WriteInt32BigEndian(_frame.WrittenSpanForPatch[position..], value);

    private static int FindOnce(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> pattern)
    {
        int first = frame.IndexOf(pattern);
        if (first < 0 || frame.LastIndexOf(pattern) != first)
        {
            // A topic id or name that happens to contain a sentinel: not worth a cleverer scheme.
            throw new InvalidOperationException("Cannot locate a Fetch request field to patch (the topic name or id contains a sentinel value); use another topic.");
        }

        return first;
    }

    public void Dispose() => _frame.Dispose();
}
