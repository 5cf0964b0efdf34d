using BenchmarkDotNet.Attributes;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Benchmarks.Storage;

/// <summary>
/// Sequential read of a 64 MiB log (16 KiB or 1 MiB batches) from the page cache, 1 MiB per call
/// as a fetch of <c>max.partition.fetch.bytes</c> 1 MiB would: <see cref="PartitionLog.Read"/>
/// (offset index lookup, header scan for the cut) then <see cref="LogReadInfo.CopyTo"/>, the next
/// offset taken from the last batch header copied. The baseline reads the very same segment file
/// with a plain unbuffered <see cref="FileStream"/> in 1 MiB chunks, so both read identical cached
/// pages. Both copy into the same 1 MiB buffer.
/// </summary>
[MemoryDiagnoser]
public class StorageReadBenchmarks
{
    private const int ReadBytes = 1024 * 1024;
    private static readonly TopicPartition Partition = new("bench", 0);

    private readonly byte[] _buffer = new byte[ReadBytes];
    private string _root = "";
    private string _segmentPath = "";
    private PartitionLog? _log;
    private long _logEnd;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        // A 1 MiB batch must fit one 1 MiB read: build it a little under.
        byte[] batch = StorageBenchmarkData.BuildBatch(BatchBytes == ReadBytes ? ReadBytes - 4096 : BatchBytes);
        int batches = StorageBenchmarkData.BatchesPerOperation(batch.Length);
        _root = StorageBenchmarkData.CreateScratchDirectory("read");
        string dir = Path.Combine(_root, Partition.DirectoryName);
        _log = PartitionLog.Open(dir, Partition, LogConfig.Default, TimeProvider.System, recoveryPoint: 0, hadCleanShutdown: true);
        for (int i = 0; i < batches; i++)
        {
            _log.AppendAsLeader(batch, leaderEpoch: 0);
        }

        _log.Flush();
        _logEnd = _log.LogEndOffset;
        _segmentPath = Path.Combine(dir, $"{0:D20}.log");
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _log!.Close();
        Directory.Delete(_root, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "FileStream.Read")]
    public long PlainFileRead()
    {
        using var file = new FileStream(_segmentPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        long total = 0;
        int n;
        while ((n = file.Read(_buffer)) > 0)
        {
            total += n;
        }

        return total;
    }

    [Benchmark(Description = "PartitionLog.Read + CopyTo")]
    public long LogRead()
    {
        PartitionLog log = _log!;
        long next = 0;
        long total = 0;
        while (next < _logEnd)
        {
            LogReadInfo read = log.Read(next, ReadBytes, _logEnd, minOneBatch: true);
            int n = read.CopyTo(_buffer);
            if (read.Status != LogReadStatus.Success || n == 0)
            {
                throw new InvalidOperationException($"Read at {next} returned {read.Status}, {n} bytes.");
            }

            total += n;
            next = LastOffsetIn(_buffer.AsSpan(0, n)) + 1;
        }

        return total;
    }

    /// <summary>The last offset of whole batches back to back (header walk, as a consumer's decoder starts).</summary>
    private static long LastOffsetIn(ReadOnlySpan<byte> batches)
    {
        long last = -1;
        while (!batches.IsEmpty)
        {
            var header = new RecordBatchHeader(batches);
            last = header.LastOffset;
            batches = batches[(int)header.SizeInBytes..];
        }

        return last;
    }
}
