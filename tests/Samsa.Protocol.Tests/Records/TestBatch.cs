using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Record = Samsa.Protocol.Records.Record;

namespace Samsa.Protocol.Tests.Records;

/// <summary>A record as the tests model it, independent of the wire code under test.</summary>
public sealed record TestRecord(long OffsetGap, long Timestamp, byte[]? Key, byte[]? Value, TestHeader[] Headers);

public sealed record TestHeader(byte[] Key, byte[]? Value);

/// <summary>Builds batches from <see cref="TestRecord"/>s and reads them back into the same model.</summary>
internal static class TestBatch
{
    public const int MaxDecompressed = 16 * 1024 * 1024;

    public static byte[] Build(CompressionCodec codec, long baseOffset, IReadOnlyList<TestRecord> records, Action<RecordBatchBuilder>? configure = null)
    {
        using var output = new PooledBufferWriter();
        using var builder = new RecordBatchBuilder(output, codec, baseOffset);
        configure?.Invoke(builder);
        long offset = baseOffset - 1;
        foreach (TestRecord r in records)
        {
            offset += r.OffsetGap;
            var headers = new RecordHeaderEntry[r.Headers.Length];
            for (int i = 0; i < headers.Length; i++)
            {
                headers[i] = new RecordHeaderEntry(r.Headers[i].Key, r.Headers[i].Value);
            }

            builder.AppendWithOffset(offset, r.Timestamp, r.Key, r.Value, headers);
        }

        builder.Complete();
        return output.ToArray();
    }

    /// <summary>Reads every record back as (offset, timestamp, model).</summary>
    public static List<(long Offset, long Timestamp, TestRecord Record)> Read(byte[] batch)
    {
        var result = new List<(long, long, TestRecord)>();
        var header = new RecordBatchHeader(batch);
        long baseOffset = header.BaseOffset;
        long baseTimestamp = header.BaseTimestamp;
        using var scratch = new PooledBufferWriter();
        RecordEnumerator records = RecordBatch.GetRecords(batch, scratch, MaxDecompressed);
        foreach (Record record in records)
        {
            var headers = new List<TestHeader>();
            foreach (RecordHeader h in record.Headers)
            {
                headers.Add(new TestHeader(h.Key.ToArray(), h.IsValueNull ? null : h.Value.ToArray()));
            }

            Assert.Equal(record.HeaderCount, headers.Count);
            result.Add((
                record.GetOffset(baseOffset),
                record.GetTimestamp(baseTimestamp),
                new TestRecord(0, record.GetTimestamp(baseTimestamp), record.IsKeyNull ? null : record.Key.ToArray(), record.IsValueNull ? null : record.Value.ToArray(), headers.ToArray())));
        }

        return result;
    }

    public static TestRecord Simple(string? key, string? value, long timestamp = 1_700_000_000_000) =>
        new(1, timestamp, key is null ? null : System.Text.Encoding.UTF8.GetBytes(key), value is null ? null : System.Text.Encoding.UTF8.GetBytes(value), []);

    public static IEnumerable<CompressionCodec> AllCodecs()
    {
        yield return CompressionCodec.ForType(CompressionType.None);
        yield return GzipCodec.Default;
        yield return SnappyCodec.Default;
        yield return new SnappyCodec(xerialFraming: false);
        yield return Lz4Codec.Default;
        yield return new Lz4Codec(1);
        yield return ZstdCodec.Default;
    }
}
