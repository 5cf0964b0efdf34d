using BenchmarkDotNet.Attributes;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Benchmarks.Protocol;

/// <summary>
/// Encoding a Fetch response that carries one partition with ≈ 1 MiB of stored batches (the same
/// 10,000 records the produce benchmarks use) into a reused buffer, as a connection's send loop
/// would. v12 is the first flexible version; v16 is what librdkafka 2.x negotiates. The records
/// are copied once into the frame, so a memcpy of the blob is the floor.
/// </summary>
[MemoryDiagnoser]
public class FetchResponseEncodeBenchmarks : IDisposable
{
    private byte[] _records = [];
    private byte[] _copyDestination = [];
    private FetchResponseData _response = null!;
    private PooledBufferWriter _buffer = null!;

    [Params((short)12, (short)16)]
    public short Version { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _records = SampleRecords.Build();
        _copyDestination = new byte[_records.Length];
        _response = new FetchResponseData
        {
            ThrottleTimeMs = 0,
            ErrorCode = 0,
            SessionId = 0,
            Responses =
            [
                new FetchResponseData.FetchableTopicResponse
                {
                    Topic = "bench-topic",
                    TopicId = Uuid.NewRandom(),
                    Partitions =
                    [
                        new FetchResponseData.PartitionData
                        {
                            PartitionIndex = 0,
                            HighWatermark = SampleRecords.TotalRecords,
                            LastStableOffset = SampleRecords.TotalRecords,
                            LogStartOffset = 0,
                            Records = _records,
                        },
                    ],
                },
            ],
        };

        // Sized once; Clear() between runs keeps the same rented array.
        _buffer = new PooledBufferWriter(_records.Length + 1024);
        Encode();
    }

    // BenchmarkDotNet builds a subclass, so the class cannot be sealed; cleanup doubles as Dispose.
    [GlobalCleanup]
    public void Dispose()
    {
        _buffer.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true, Description = "memcpy records")]
    public void Memcpy() => _records.AsSpan().CopyTo(_copyDestination);

    [Benchmark(Description = "encode Fetch response frame")]
    public int Encode()
    {
        _buffer.Clear();
        Frame.WriteResponse(_buffer, correlationId: 42, _response, Version);
        return _buffer.WrittenCount;
    }
}
