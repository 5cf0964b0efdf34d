using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks.Storage;

/// <summary>
/// What the storage benchmarks write: one uncompressed magic-2 producer batch of about the asked
/// size (1 KiB values, no producer id, so the log checks structure and CRC but no sequences),
/// appended over and over until <see cref="BytesPerOperation"/>; and the scratch directory, on the
/// same disk for the log and the plain-file baseline.
/// </summary>
internal static class StorageBenchmarkData
{
    /// <summary>Bytes each benchmark operation writes or reads: 64 MiB, long enough for steady disk behaviour.</summary>
    public const int BytesPerOperation = 64 * 1024 * 1024;

    private const int ValueSize = 1000;

    /// <summary>A fixed CreateTime (2026-01-01T00:00:00Z) so every run writes identical bytes.</summary>
    private const long BaseTimestamp = 1_767_225_600_000;

    /// <summary>One batch of at most <paramref name="targetBytes"/> bytes.</summary>
    public static byte[] BuildBatch(int targetBytes)
    {
        byte[] value = new byte[ValueSize];
        for (int i = 0; i < value.Length; i++)
        {
            value[i] = (byte)('a' + (i % 26));
        }

        // ≈ 1,010 bytes per record on the wire (value, varints, attributes), 61 of batch header.
        int records = Math.Max(1, (targetBytes - RecordBatch.HeaderSize) / (ValueSize + 16));
        using var writer = new PooledBufferWriter(targetBytes + 1024);
        using (var builder = new RecordBatchBuilder(writer, CompressionType.None, baseOffset: 0))
        {
            for (int i = 0; i < records; i++)
            {
                builder.Append(BaseTimestamp + i, key: null, value);
            }

            builder.Complete();
        }

        return writer.ToArray();
    }

    /// <summary>How many batches of <paramref name="batchBytes"/> make one operation (the same count for log and file).</summary>
    public static int BatchesPerOperation(int batchBytes) => BytesPerOperation / batchBytes;

    /// <summary>A fresh scratch directory under the system temp dir (the same disk as the repo here).</summary>
    public static string CreateScratchDirectory(string name)
    {
        string path = Path.Combine(Path.GetTempPath(), $"samsa-bench-{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
