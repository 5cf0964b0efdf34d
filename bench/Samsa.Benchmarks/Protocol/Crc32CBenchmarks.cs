using BenchmarkDotNet.Attributes;
using Samsa.Protocol.Records;

namespace Samsa.Benchmarks.Protocol;

/// <summary>
/// CRC-32C of one buffer: the <c>crc32</c>-instruction path (3-way interleaved, the baseline)
/// against what <see cref="Crc32C.Compute"/> does now (from <see cref="Crc32C.FoldingThreshold"/>
/// on, where the CPU has VPCLMULQDQ: 256-bit carry-less multiply folding beside three
/// <c>crc32</c> chains) and against the folding alone (no <c>crc32</c> chains beside it). Sizes: a
/// tiny record batch, 1 KiB, and the 16 KiB and 1 MiB batches of the storage benchmarks. The
/// buffer starts one byte past an array's start, as batches inside a request frame rarely align.
/// </summary>
[MemoryDiagnoser]
public class Crc32CBenchmarks
{
    private byte[] _buffer = [];

    [Params(61, 1024, 16 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _buffer = new byte[Size + 1];
        new Random(42).NextBytes(_buffer);
        if (Interleaved() != Compute() || FoldingAlone() != Compute())
        {
            throw new InvalidOperationException("The CRC-32C paths disagree.");
        }
    }

    private ReadOnlySpan<byte> Data => _buffer.AsSpan(1, Size);

    [Benchmark(Baseline = true, Description = "crc32 interleaved (old)")]
    public uint Interleaved() => ~Crc32C.UpdateInterleaved(~0u, Data);

    [Benchmark(Description = "Crc32C.Compute (new)")]
    public uint Compute() => Crc32C.Compute(Data);

    [Benchmark(Description = "VPCLMULQDQ folding alone")]
    public uint FoldingAlone()
    {
        ReadOnlySpan<byte> data = Data;
        if (!Crc32CFolding.IsSupported || data.Length < Crc32C.FoldingThreshold)
        {
            return ~Crc32C.UpdateInterleaved(~0u, data);
        }

        int blocks = data.Length & ~15;
        return ~Crc32C.UpdateInterleaved(Crc32CFolding.FoldingUpdate(~0u, data[..blocks]), data[blocks..]);
    }
}
