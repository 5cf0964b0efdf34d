using System.Buffers;
using BenchmarkDotNet.Attributes;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Benchmarks.Storage;

/// <summary>
/// Sequential append of 64 MiB per operation, in 16 KiB or 1 MiB batches, through
/// <see cref="PartitionLog.AppendAsLeader"/> (structure check + CRC-32C, offset and epoch patch,
/// write, index) beside a plain <see cref="FileStream"/> writing the same batch bytes the same
/// number of times to the same disk. Each iteration starts from a fresh file (for the log: the
/// fresh active segment of a log that rolled once, see <see cref="SetupLog"/>), created and
/// removed outside the measurement; removal does not sync either. Flush
/// policy is the same for both: page cache only (Kafka's default), or one final fsync
/// (<see cref="PartitionLog.Flush"/> / <see cref="FileStream.Flush(bool)"/>).
/// <para>
/// With <see cref="Received"/>, each batch is first copied out of a receive buffer, as the broker
/// copies a request out of its socket's buffers before anything reads it: for the plain file a
/// whole copy; for the log, from <see cref="ChunkedCrc32C.WorthwhileBytes"/> on (where the broker does the same for Produce frames),
/// a copy in chunks whose CRCs are taken as it goes (<see cref="ChunkedCrc32C"/>), which the log's
/// CRC check then joins instead of reading the batch again. The CRC is checked either way: the
/// pair says what it costs where the broker checks it.
/// </para>
/// </summary>
[MemoryDiagnoser]
public class StorageAppendBenchmarks : IDisposable
{
    private static readonly TopicPartition Partition = new("bench", 0);
    private static readonly TimeSpan WarmUpSegmentAge = TimeSpan.FromHours(1);

    private byte[] _batch = [];
    private ReadOnlySequence<byte> _received;
    private int _batches;
    private string _root = "";
    private string _iterationDir = "";
    private PartitionLog? _log;
    private FileStream? _file;

    [Params(16 * 1024, 1024 * 1024)]
    public int BatchBytes { get; set; }

    [Params(false, true)]
    public bool FinalFsync { get; set; }

    /// <summary>Whether each batch is first copied out of a receive buffer (see the class remarks).</summary>
    [Params(false, true)]
    public bool Received { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _batch = StorageBenchmarkData.BuildBatch(BatchBytes);
        _received = new ReadOnlySequence<byte>(_batch.ToArray());
        _batches = StorageBenchmarkData.BatchesPerOperation(_batch.Length);
        _root = StorageBenchmarkData.CreateScratchDirectory("append");
    }

    // BenchmarkDotNet builds a subclass, so the class cannot be sealed; cleanup doubles as Dispose.
    [GlobalCleanup]
    public void Dispose()
    {
        _file?.Dispose();
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [IterationSetup(Target = nameof(PlainFileWrite))]
    public void SetupPlainFile()
    {
        _iterationDir = NewIterationDirectory();

        // The same state as the log's warm-up leaves: one operation's worth written and fsynced
        // just before, its pages still cached, so both sides write into memory in the same state.
        using (var previous = new FileStream(Path.Combine(_iterationDir, "previous.log"), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            WriteOperation(previous);
            previous.Flush(flushToDisk: true);
        }

        _file = new FileStream(Path.Combine(_iterationDir, "plain.log"), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
    }

    [IterationCleanup(Target = nameof(PlainFileWrite))]
    public void CleanupPlainFile()
    {
        _file!.Dispose();
        Directory.Delete(_iterationDir, recursive: true);
    }

    [IterationSetup(Target = nameof(LogAppend))]
    public void SetupLog()
    {
        _iterationDir = NewIterationDirectory();
        var clock = new SteppedClock(DateTimeOffset.UtcNow);
        LogConfig config = LogConfig.Default with { SegmentMs = (long)WarmUpSegmentAge.TotalMilliseconds };
        _log = PartitionLog.Open(Path.Combine(_iterationDir, Partition.DirectoryName), Partition, config, clock, recoveryPoint: 0, hadCleanShutdown: true);

        // Warmed up as a broker's partition is past its first roll: one operation's worth of
        // batches, then segment.ms passes and the next append rolls (and fsyncs the old segment)
        // here, so the measured appends run on the index storage the sealed segment handed over.
        // The clock then stands still: no roll inside the measurement.
        long sealedEnd = 0;
        for (int i = 0; i <= _batches; i++)
        {
            if (i == _batches)
            {
                clock.Advance(WarmUpSegmentAge + TimeSpan.FromMilliseconds(1));
                sealedEnd = _log.LogEndOffset;
            }

            _log.AppendAsLeader(_batch, leaderEpoch: 0);
        }

        // The roll hands the sealed segment's fsync to the background flusher; finish it here, so
        // the measured appends do not share the disk with the warm-up segment's write-back.
        _log.FlushUpTo(sealedEnd);
    }

    [IterationCleanup(Target = nameof(LogAppend))]
    public void CleanupLog()
    {
        // Delete closes the handles without the fsync Close does, as the plain file's cleanup.
        _log!.Delete();
        Directory.Delete(_iterationDir, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "FileStream.Write")]
    public long PlainFileWrite()
    {
        FileStream file = _file!;
        WriteOperation(file);
        if (FinalFsync)
        {
            file.Flush(flushToDisk: true);
        }

        return file.Position;
    }

    [Benchmark(Description = "PartitionLog.AppendAsLeader")]
    public long LogAppend()
    {
        PartitionLog log = _log!;
        for (int i = 0; i < _batches; i++)
        {
            ChunkedCrc32C? checksums = null;
            if (Received)
            {
                if (_batch.Length >= ChunkedCrc32C.WorthwhileBytes)
                {
                    checksums = ChunkedCrc32C.CopyFrom(_received, _batch);
                }
                else
                {
                    _received.CopyTo(_batch);
                }
            }

            if (log.AppendAsLeader(_batch, leaderEpoch: 0, checksums).Status != LogAppendStatus.Success)
            {
                throw new InvalidOperationException("The log refused the benchmark batch.");
            }
        }

        if (FinalFsync)
        {
            log.Flush();
        }

        return log.LogEndOffset;
    }

    /// <summary>One operation's worth: the batch, <see cref="_batches"/> times.</summary>
    private void WriteOperation(FileStream file)
    {
        for (int i = 0; i < _batches; i++)
        {
            if (Received)
            {
                _received.CopyTo(_batch);
            }

            file.Write(_batch);
        }
    }

    private string NewIterationDirectory()
    {
        string dir = Path.Combine(_root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
