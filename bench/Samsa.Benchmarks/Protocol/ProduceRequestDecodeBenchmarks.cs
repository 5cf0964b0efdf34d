using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks.Protocol;

/// <summary>
/// What a leader does with one ≈ 1 MiB Produce request (v9, flexible, one topic, one partition,
/// 10 batches × 1,000 records of 100 B): decode the frame, split and validate the batches (CRC-32C
/// included), read every record, and patch offsets and leader epoch in place. Measured against a
/// memcpy and a bare CRC-32C of the same records blob, so the ratios say how close to the memory
/// bandwidth each step is. The frame body is what follows the size prefix, as a broker holds it.
/// </summary>
[MemoryDiagnoser]
public class ProduceRequestDecodeBenchmarks : IDisposable
{
    private const short ProduceVersion = 9;
    private const int MaxDecompressedBytes = 64 * 1024 * 1024;

    private byte[] _frameBody = [];
    private Memory<byte> _records;
    private byte[] _copyDestination = [];
    private PooledBufferWriter _decompressed = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] records = SampleRecords.Build();
        var request = new ProduceRequestData
        {
            TransactionalId = null,
            Acks = -1,
            TimeoutMs = 30_000,
            TopicData =
            [
                new ProduceRequestData.TopicProduceData
                {
                    Name = "bench-topic",
                    PartitionData = [new ProduceRequestData.PartitionProduceData { Index = 0, Records = records }],
                },
            ],
        };
        var header = new RequestHeader
        {
            ApiKey = ApiKey.Produce,
            ApiVersion = ProduceVersion,
            CorrelationId = 42,
            ClientId = "rdkafka",
        };

        using var frame = new PooledBufferWriter(records.Length + 256);
        Frame.WriteRequest(frame, header, request);
        _frameBody = frame.WrittenSpan[Frame.SizePrefixLength..].ToArray();

        // The patch benchmark writes into the frame's own records section, as the leader does.
        ProduceRequestData decoded = Decode(_frameBody);
        ReadOnlyMemory<byte> decodedRecords = decoded.TopicData[0].PartitionData[0].Records!.Value;
        _records = MemoryMarshal.AsMemory(decodedRecords);
        _copyDestination = new byte[_records.Length];
        _decompressed = new PooledBufferWriter();

        if (ValidateBatches() != SampleRecords.BatchCount || IterateRecords() != SampleRecords.TotalRecords)
        {
            throw new InvalidOperationException("The benchmark frame does not hold the expected batches and records.");
        }
    }

    // BenchmarkDotNet builds a subclass, so the class cannot be sealed; cleanup doubles as Dispose.
    [GlobalCleanup]
    public void Dispose()
    {
        _decompressed.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Size of the records blob, the figure MB/s is computed from.</summary>
    public int RecordsBytes => _records.Length;

    [Benchmark(Baseline = true, Description = "memcpy records")]
    public void Memcpy() => _records.Span.CopyTo(_copyDestination);

    [Benchmark(Description = "CRC-32C records")]
    public uint Crc() => Crc32C.Compute(_records.Span);

    [Benchmark(Description = "(a) decode header + body")]
    public ProduceRequestData DecodeRequest() => Decode(_frameBody);

    [Benchmark(Description = "(b) decode + validate batches")]
    public int ValidateBatches()
    {
        ProduceRequestData request = Decode(_frameBody);
        int batches = 0;
        foreach (ReadOnlyMemory<byte> batch in RecordBatch.Enumerate(RecordsOf(request)))
        {
            if (RecordBatch.TryValidate(batch.Span) != RecordBatchStatus.Valid)
            {
                throw new InvalidOperationException("Benchmark batch failed validation.");
            }

            batches++;
        }

        return batches;
    }

    [Benchmark(Description = "(c) decode + validate + read records")]
    public int IterateRecords()
    {
        ProduceRequestData request = Decode(_frameBody);
        int records = 0;
        foreach (ReadOnlyMemory<byte> batch in RecordBatch.Enumerate(RecordsOf(request)))
        {
            if (RecordBatch.TryValidate(batch.Span) != RecordBatchStatus.Valid)
            {
                throw new InvalidOperationException("Benchmark batch failed validation.");
            }

            RecordEnumerator reader = RecordBatch.GetRecords(batch, _decompressed, MaxDecompressedBytes);
            RecordReadStatus status;
            while ((status = reader.TryMoveNext()) == RecordReadStatus.Record)
            {
                records++;
            }

            if (status != RecordReadStatus.End)
            {
                throw new InvalidOperationException("Benchmark batch has a corrupt record.");
            }
        }

        return records;
    }

    [Benchmark(Description = "(d) patch offset + epoch")]
    public long PatchBatches() => Patch(_records);

    [Benchmark(Description = "(e) decode + validate + patch")]
    public long LeaderAppendPath()
    {
        ProduceRequestData request = Decode(_frameBody);
        ReadOnlyMemory<byte> records = RecordsOf(request);
        foreach (ReadOnlyMemory<byte> batch in RecordBatch.Enumerate(records))
        {
            if (RecordBatch.TryValidate(batch.Span) != RecordBatchStatus.Valid)
            {
                throw new InvalidOperationException("Benchmark batch failed validation.");
            }
        }

        // The frame buffer belongs to the broker, so patching the decoded slice is legitimate.
        return Patch(MemoryMarshal.AsMemory(records));
    }

    private static long Patch(Memory<byte> records)
    {
        long nextOffset = 1_000_000;
        foreach (ReadOnlyMemory<byte> batch in RecordBatch.Enumerate(records))
        {
            Span<byte> writable = MemoryMarshal.AsMemory(batch).Span;
            RecordBatch.SetBaseOffset(writable, nextOffset);
            RecordBatch.SetPartitionLeaderEpoch(writable, 7);
            nextOffset += new RecordBatchHeader(writable).LastOffsetDelta + 1;
        }

        return nextOffset;
    }

    private static ProduceRequestData Decode(byte[] frameBody)
    {
        var reader = new ProtocolReader(frameBody);
        var header = new RequestHeader();
        header.Read(ref reader);
        var request = new ProduceRequestData();
        request.Read(ref reader, header.ApiVersion);
        return request;
    }

    private static ReadOnlyMemory<byte> RecordsOf(ProduceRequestData request) =>
        request.TopicData[0].PartitionData[0].Records!.Value;
}
