using System.Diagnostics;
using System.Globalization;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;

namespace Samsa.Storage.CrashWriter;

/// <summary>
/// Appends batches of self-describing records (<see cref="CrashRecordValue"/>) to one partition of
/// a log dir, as fast as it can, and prints one line per event on stdout, flushed at once:
/// <c>opening</c> before the log dir is opened (recovery runs inside the open),
/// <c>recovering &lt;n&gt;</c> during it if asked (<see cref="CrashWriterSettings.ReportRecovery"/>),
/// <c>opened &lt;log end&gt; &lt;ms&gt;</c> after, and <c>acked &lt;last offset&gt;</c> after every append
/// call that returned. The test kills it with SIGKILL at random moments and checks that every
/// acked offset survived: an append that returned is in the page cache, which a process kill
/// does not lose. Exit code 2 means the log refused an append (a bug the test reports).
/// </summary>
internal static class Program
{
    private const int SmallBatchMaxRecords = 20;
    private const int SmallPayloadMaxBytes = 1000;
    private const int LargeBatchMaxRecords = 8;
    private const int LargePayloadMaxBytes = 16 * 1024;

    /// <summary>Record framing plus the value's own header and checksum, generously (no headers, null key).</summary>
    private const int RecordOverhead = 64;

    private static int Main(string[] args)
    {
        CrashWriterSettings settings = CrashWriterSettings.Parse(args);
        LogConfig config = settings.ToLogConfig();
        var random = new Random(settings.Seed);
        TextWriter output = Console.Out;

        output.WriteLine("opening");
        output.Flush();
        using var opened = new CancellationTokenSource();
        Thread? watcher = settings.ReportRecovery ? StartRecoveryWatcher(settings.LogDir, output, opened.Token) : null;
        var stopwatch = Stopwatch.StartNew();
        LogDirectory directory = LogDirectory.Open(settings.LogDir, TimeProvider.System, _ => config);
        PartitionLog log = directory.GetOrCreateLog(CrashWriterSettings.Partition, Uuid.Zero, config);
        opened.Cancel();
        watcher?.Join();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"opened {log.LogEndOffset} {stopwatch.ElapsedMilliseconds}"));
        output.Flush();

        using var buffer = new PooledBufferWriter(256 * 1024);
        for (int appends = 1; settings.MaxAppends == 0 || appends <= settings.MaxAppends; appends++)
        {
            long next = log.LogEndOffset;
            buffer.Clear();
            int batches = random.Next(4) == 0 ? random.Next(2, 4) : 1;
            for (int b = 0; b < batches; b++)
            {
                next = WriteBatch(buffer, next, settings.SegmentBytes / 4, random);
            }

            LogAppendInfo info = log.AppendAsLeader(buffer.WrittenSpanForPatch.ToArray(), settings.LeaderEpoch);
            if (info.Status != LogAppendStatus.Success || info.LastOffset != next - 1)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"append refused: {info}, expected last offset {next - 1}"));
                return 2;
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"acked {info.LastOffset}"));
            output.Flush();
            if (settings.FlushEvery > 0 && appends % settings.FlushEvery == 0)
            {
                log.Flush();
                directory.Checkpoint();
            }
        }

        directory.Dispose();
        return 0;
    }

    /// <summary>
    /// Polls the partition dir for index files while the log dir opens and prints
    /// <c>recovering &lt;count&gt;</c> whenever there are more than before (see
    /// <see cref="CrashWriterSettings.ReportRecovery"/>). Polling, not a hook: the storage code runs
    /// exactly as in the broker.
    /// </summary>
    private static Thread StartRecoveryWatcher(string logDir, TextWriter output, CancellationToken opened)
    {
        string partitionDir = Path.Combine(logDir, CrashWriterSettings.Partition.DirectoryName);
        var thread = new Thread(() =>
        {
            int reported = Directory.Exists(partitionDir) ? Directory.GetFiles(partitionDir, "*.index").Length : 0;
            while (!opened.IsCancellationRequested)
            {
                int count = Directory.Exists(partitionDir) ? Directory.GetFiles(partitionDir, "*.index").Length : 0;
                if (count > reported)
                {
                    reported = count;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"recovering {count}"));
                    output.Flush();
                }

                opened.WaitHandle.WaitOne(1);
            }
        })
        {
            IsBackground = true,
            Name = "recovery watcher",
        };
        thread.Start();
        return thread;
    }

    /// <summary>
    /// One producer-style batch whose records carry the offsets the log will give them, starting at
    /// <paramref name="firstOffset"/>. Mostly small batches; one in six is large (up to 128 KiB) so
    /// a kill often lands inside a write. At most <paramref name="maxBytes"/> of values, so the
    /// up to three batches of an append stay below segment.bytes (a larger append is refused).
    /// Returns the offset after the batch.
    /// </summary>
    private static long WriteBatch(PooledBufferWriter buffer, long firstOffset, int maxBytes, Random random)
    {
        bool large = random.Next(6) == 0;
        int records = 1 + random.Next(large ? LargeBatchMaxRecords : SmallBatchMaxRecords);
        int maxPayload = Math.Min(large ? LargePayloadMaxBytes : SmallPayloadMaxBytes, (maxBytes / records) - RecordOverhead);
        long timestamp = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        using var builder = new RecordBatchBuilder(buffer, CompressionType.None, 0);
        for (int i = 0; i < records; i++)
        {
            builder.Append(timestamp, null, CrashRecordValue.Create(firstOffset + i, random.Next(maxPayload + 1)));
        }

        builder.Complete();
        return firstOffset + records;
    }
}
