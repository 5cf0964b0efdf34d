using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;

namespace Samsa.LoadGenerator;

/// <summary>
/// One Produce request encoded once: the same record batch for every partition (the broker assigns
/// offsets in place, so the bytes can be sent again and again). A connection owns one template and
/// patches only the correlation id before each send.
/// </summary>
internal sealed class ProduceRequestTemplate : IDisposable
{
    /// <summary>Size prefix, api key, api version: the correlation id follows.</summary>
    private const int CorrelationIdOffset = Frame.SizePrefixLength + 2 + 2;

    private readonly PooledBufferWriter _frame = new();

    public ProduceRequestTemplate(LoadOptions options, TopicLayout topic, ReadOnlyMemory<byte> batch)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(topic);
        var partitions = new List<ProduceRequestData.PartitionProduceData>(topic.Partitions);
        for (int p = 0; p < topic.Partitions; p++)
        {
            partitions.Add(new ProduceRequestData.PartitionProduceData { Index = p, Records = batch });
        }

        var request = new ProduceRequestData
        {
            Acks = options.Acks,
            TimeoutMs = options.ProduceTimeoutMs,
            TopicData = [new ProduceRequestData.TopicProduceData { Name = topic.Name, PartitionData = partitions }],
        };
        Frame.WriteRequest(
            _frame,
            new RequestHeader { ApiKey = request.ApiKey, ApiVersion = options.ProduceVersion, ClientId = options.ClientId },
            request);
    }

    public ReadOnlyMemory<byte> Bytes => _frame.WrittenMemory;

    public void SetCorrelationId(int correlationId) =>
        BinaryPrimitives.WriteInt32BigEndian(_frame.WrittenSpanForPatch[CorrelationIdOffset..], correlationId);

    /// <summary>
    /// The batch every partition gets: <paramref name="records"/> records with null keys and
    /// <paramref name="valueSize"/>-byte values of random (incompressible) bytes, no producer id.
    /// </summary>
    public static byte[] BuildBatch(int records, int valueSize)
    {
        var values = new byte[valueSize];
        new Random(20261126).NextBytes(values);
        long timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        // Capacity is a hint (the writer grows); capped so a huge batch does not overflow the estimate.
        using var destination = new PooledBufferWriter((int)Math.Min(RecordBatch.HeaderSize + ((long)records * (valueSize + 16)), 64 * 1024 * 1024));
        using (var builder = new RecordBatchBuilder(destination, CompressionType.None, baseOffset: 0))
        {
            for (int i = 0; i < records; i++)
            {
                builder.AppendWithOffset(i, timestamp, default, isKeyNull: true, values, isValueNull: false);
            }

            builder.Complete();
        }

        return destination.ToArray();
    }

    public void Dispose() => _frame.Dispose();
}
