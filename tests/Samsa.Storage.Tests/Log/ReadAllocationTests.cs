using System.Buffers.Binary;
using Samsa.Storage.Log;
using Samsa.Testing;
using Xunit.Abstractions;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// The fetch side of the log allocates nothing per read, and so nothing per record: a consumer or
/// follower reads at the producers' rate, and garbage there is GC work in proportion to traffic.
/// <see cref="PartitionLog.Read"/> answers with a struct, and the copy goes into the caller's
/// buffer. Measured on the calling thread, so tests running beside it do not count.
/// </summary>
public sealed class ReadAllocationTests(ITestOutputHelper output)
{
    private const int Segments = 4;
    private const int BatchesPerSegment = 100;
    private const int RecordsPerBatch = 8;

    // One-off runtime work (a lazily initialised static, a tier-up stub), never per read.
    private const long ConstantAllowance = 512;

    [Theory]
    [InlineData(1)]
    [InlineData(16 * 1024)]
    [InlineData(256 * 1024)]
    public void Sequential_reads_across_segments_allocate_nothing_once_the_indexes_are_loaded(int maxBytes)
    {
        using var dir = new TempDirectory();
        var clock = new ManualClock(DateTimeOffset.UnixEpoch.AddDays(20_000));
        byte[] first = LogTestKit.Batch(RecordsPerBatch, clock.UnixTimeMilliseconds, tag: 0, valueSize: 100);
        PartitionLog log = LogTestKit.Open(dir, LogConfig.Default with { SegmentBytes = first.Length * BatchesPerSegment }, clock);
        for (int i = 0; i < Segments * BatchesPerSegment; i++)
        {
            byte[] batch = LogTestKit.Batch(RecordsPerBatch, clock.UnixTimeMilliseconds + i, tag: i * RecordsPerBatch, valueSize: 100);
            Assert.Equal(LogAppendStatus.Success, log.AppendAsLeader(batch, 0).Status);
        }

        Assert.True(log.Segments.Count >= Segments, $"{log.Segments.Count} segments");
        byte[] buffer = new byte[Math.Max(maxBytes, first.Length)];

        // The first pass loads the sealed segments' indexes from their files (once per segment).
        (int warmReads, long warmRecords) = ReadAll(log, buffer, maxBytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        (int reads, long records) = ReadAll(log, buffer, maxBytes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"maxBytes {maxBytes}: {allocated} B over {reads} reads of {records} records");
        Assert.Equal(log.LogEndOffset, records);
        Assert.Equal((warmReads, warmRecords), (reads, records));
        Assert.True(allocated <= ConstantAllowance, $"{allocated} B over {reads} reads of {records} records");
        log.Close();
    }

    /// <summary>Reads the whole log in order into <paramref name="buffer"/>; returns the reads made and the records read.</summary>
    private static (int Reads, long Records) ReadAll(PartitionLog log, byte[] buffer, int maxBytes)
    {
        int reads = 0;
        long next = log.LogStartOffset;
        while (next < log.LogEndOffset)
        {
            LogReadInfo read = log.Read(next, maxBytes, log.LogEndOffset, minOneBatch: true);
            if (read.Status != LogReadStatus.Success || read.Length == 0 || read.Length > buffer.Length)
            {
                Assert.Fail($"read at {next}: {read.Status}, {read.Length} bytes");
            }

            int length = read.CopyTo(buffer);
            reads++;

            // The next offset: one past the last batch's last offset (baseOffset + lastOffsetDelta).
            for (int at = 0; at < length;)
            {
                ReadOnlySpan<byte> header = buffer.AsSpan(at);
                next = BinaryPrimitives.ReadInt64BigEndian(header) + BinaryPrimitives.ReadInt32BigEndian(header[23..]) + 1;
                at += 12 + BinaryPrimitives.ReadInt32BigEndian(header[8..]);
            }
        }

        return (reads, next - log.LogStartOffset);
    }
}
