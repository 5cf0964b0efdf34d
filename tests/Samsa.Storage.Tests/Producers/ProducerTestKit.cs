using System.Buffers.Binary;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests.Producers;

/// <summary>Idempotent producer batches for the producer-state tests.</summary>
internal static class ProducerTestKit
{
    public static byte[] Batch(long producerId, short epoch, int baseSequence, int count, long timestamp = 1000)
    {
        using var writer = new PooledBufferWriter();
        using (var builder = new RecordBatchBuilder(writer, CompressionType.None, 0)
        {
            ProducerId = producerId,
            ProducerEpoch = epoch,
            BaseSequence = baseSequence,
        })
        {
            for (int i = 0; i < count; i++)
            {
                byte[] value = new byte[8];
                BinaryPrimitives.WriteInt32BigEndian(value, baseSequence + i);
                builder.Append(timestamp + i, null, value);
            }

            builder.Complete();
        }

        return writer.ToArray();
    }
}
