using BenchmarkDotNet.Attributes;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Benchmarks.Storage;

/// <summary>
/// The leader's produce path below the network: the broker's check of a partition's batches, then
/// <see cref="PartitionLog.AppendAsLeader"/> (structure + CRC-32C, patch, write, index), 64 MiB per
/// operation in 16 KiB or 1 MiB batches into the page cache. "Before": the broker checked
/// structure and CRC too (<see cref="LegacyProduceValidator"/>), so every byte was CRC'd twice.
/// "After": <see cref="LogValidator"/> checks policy from the headers and the log alone checks
/// structure. A fresh log per iteration, created and removed outside the measurement.
/// </summary>
[MemoryDiagnoser]
public class ProduceAppendBenchmarks : IDisposable
{
    private static readonly TopicPartition Partition = new("bench", 0);
    private static readonly TopicProducePolicy Policy = new(1, Broker.Configuration.BrokerCompressionType.Producer, long.MaxValue, long.MaxValue);

    private byte[] _batch = [];
    private int _batches;
    private string _root = "";
    private string _iterationDir = "";
    private PartitionLog? _log;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _batch = StorageBenchmarkData.BuildBatch(BatchBytes);
        _batches = StorageBenchmarkData.BatchesPerOperation(_batch.Length);
        _root = StorageBenchmarkData.CreateScratchDirectory("produce");
    }

    [GlobalCleanup]
    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [IterationSetup]
    public void SetupLog()
    {
        _iterationDir = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_iterationDir);
        _log = PartitionLog.Open(Path.Combine(_iterationDir, Partition.DirectoryName), Partition, LogConfig.Default, TimeProvider.System, recoveryPoint: 0, hadCleanShutdown: true);
    }

    [IterationCleanup]
    public void CleanupLog()
    {
        _log!.Delete();
        Directory.Delete(_iterationDir, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "before: broker CRC + log CRC")]
    public long CheckTwice()
    {
        PartitionLog log = _log!;
        for (int i = 0; i < _batches; i++)
        {
            if (LegacyProduceValidator.Validate(_batch, log.Config) != ErrorCode.None)
            {
                throw new InvalidOperationException("The broker refused the benchmark batch.");
            }

            Append(log);
        }

        return log.LogEndOffset;
    }

    [Benchmark(Description = "after: broker policy + log CRC")]
    public long CheckOnce()
    {
        PartitionLog log = _log!;
        for (int i = 0; i < _batches; i++)
        {
            if (LogValidator.Validate(_batch, log.Config, Policy, 0, scratch: null).Error != ErrorCode.None)
            {
                throw new InvalidOperationException("The broker refused the benchmark batch.");
            }

            Append(log);
        }

        return log.LogEndOffset;
    }

    private void Append(PartitionLog log)
    {
        if (log.AppendAsLeader(_batch, leaderEpoch: 0).Status != LogAppendStatus.Success)
        {
            throw new InvalidOperationException("The log refused the benchmark batch.");
        }
    }
}
