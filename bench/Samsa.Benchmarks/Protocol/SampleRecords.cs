using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks.Protocol;

/// <summary>
/// The records blob the protocol benchmarks share: 10 uncompressed magic-2 batches of 1,000
/// records each, null keys and 100-byte values, no headers, the shape a perf-test producer with
/// 100 B records sends (≈ 1.05 MiB). Built once per benchmark class in [GlobalSetup].
/// </summary>
internal static class SampleRecords
{
    public const int BatchCount = 10;

    public const int RecordsPerBatch = 1_000;

    public const int TotalRecords = BatchCount * RecordsPerBatch;

    public const int ValueSize = 100;

    /// <summary>A fixed CreateTime (2026-01-01T00:00:00Z) so every run encodes identical bytes.</summary>
    private const long BaseTimestamp = 1_767_225_600_000;

    public static byte[] Build()
    {
        byte[] value = new byte[ValueSize];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)('a' + (i % 26));
        }

        using var records = new PooledBufferWriter();
        for (int batch = 0; batch < BatchCount; batch++)
        {
            // Producers send base offset 0 per batch; the leader assigns real offsets on append.
            using var builder = new RecordBatchBuilder(records, CompressionType.None, baseOffset: 0)
            {
                ProducerId = 4_000 + batch,
                ProducerEpoch = 0,
                BaseSequence = batch * RecordsPerBatch,
            };
            for (int i = 0; i < RecordsPerBatch; i++)
            {
                // A millisecond every 10 records keeps timestamp deltas small but non-zero, as with linger.
                builder.Append(BaseTimestamp + (batch * RecordsPerBatch + i) / 10, key: null, value);
            }

            builder.Complete();
        }

        return records.ToArray();
    }
}
