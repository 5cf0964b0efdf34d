using CsCheck;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// Random sequences of appends, reads, rolls (tiny segments), truncations, DeleteRecords,
/// retention by size and by time (the clock moves), and reopens (clean and unclean) against a list
/// of (offset, tag) records and the model's own batches and their timestamps: retention must remove
/// exactly the oldest segments that Kafka's rules allow, judged from what the model appended.
/// </summary>
public sealed class PartitionLogModelTests
{
    private static readonly LogConfig Config = LogConfig.Default with
    {
        SegmentBytes = 700,
        IndexIntervalBytes = 120,
        RetentionBytes = 2000,
        RetentionMs = 600,
        FileDeleteDelayMs = 0,
    };

    private static readonly Gen<(int Kind, int A, int B)> Operation = Gen.Select(Gen.Int[0, 10], Gen.Int[0, 1000], Gen.Int[1, 4]);

    [Fact]
    public void Log_matches_a_list_model()
    {
        Operation.Array[1, 60].Sample(Run, iter: 60);
    }

    /// <summary>
    /// How many of the oldest segments retention removes, by Kafka's rules applied to the model's
    /// batches: while a sealed segment's newest timestamp is more than retention.ms old, or the log
    /// is at least retention.bytes without it, or it lies wholly below the log start.
    /// </summary>
    private static int RetainedFrom(IReadOnlyList<LogSegmentInfo> segments, List<(long First, long MaxTimestamp)> batches, long logStart, long nowMs)
    {
        long excess = -Config.RetentionBytes;
        foreach (LogSegmentInfo segment in segments)
        {
            excess += segment.SizeInBytes;
        }

        int removed = 0;
        while (removed < segments.Count - 1)
        {
            long from = segments[removed].BaseOffset;
            long upTo = segments[removed + 1].BaseOffset;
            long newest = -1;
            foreach ((long first, long maxTimestamp) in batches)
            {
                if (first >= from && first < upTo)
                {
                    newest = Math.Max(newest, maxTimestamp);
                }
            }

            bool expired = nowMs - newest > Config.RetentionMs;
            bool oversized = excess - segments[removed].SizeInBytes >= 0;
            if (!expired && !oversized && upTo > logStart)
            {
                break;
            }

            excess -= segments[removed].SizeInBytes;
            removed++;
        }

        return removed;
    }

    private static void Run((int Kind, int A, int B)[] operations)
    {
        using var dir = new TempDirectory("model");
        var clock = new ManualClock();
        PartitionLog log = LogTestKit.Open(dir, Config, clock);
        var records = new List<long>();

        // Every batch physically in the log (DeleteRecords leaves them): first offset, newest timestamp.
        var batches = new List<(long First, long MaxTimestamp)>();
        long logStart = 0;
        long logEnd = 0;
        try
        {
            foreach ((int kind, int a, int b) in operations)
            {
                switch (kind)
                {
                    case <= 4:
                        // Timestamps from 0.4 s before the clock to 0.6 s after it; records of a batch 1 ms apart.
                        long timestamp = clock.UnixTimeMilliseconds - 400 + a;
                        LogAppendInfo info = log.AppendAsLeader(LogTestKit.Batch(b, timestamp, tag: (int)logEnd), 0);
                        Assert.Equal(LogAppendStatus.Success, info.Status);
                        Assert.Equal(logEnd, info.FirstOffset);
                        batches.Add((logEnd, timestamp + b - 1));
                        for (int i = 0; i < b; i++)
                        {
                            records.Add(logEnd++);
                        }

                        break;
                    case 5:
                        {
                            var candidates = batches.Select(x => x.First).Where(s => s >= logStart).ToList();
                            if (candidates.Count == 0)
                            {
                                break;
                            }

                            long target = candidates[a % candidates.Count];
                            log.TruncateTo(target);
                            records.RemoveAll(o => o >= target);
                            batches.RemoveAll(x => x.First >= target);
                            logEnd = target;
                            break;
                        }

                    case 6:
                        {
                            long target = logStart + (a % (logEnd - logStart + 1));
                            Assert.True(log.DeleteRecordsBefore(target));
                            logStart = Math.Max(logStart, target);
                            records.RemoveAll(o => o < logStart);
                            break;
                        }

                    case 7:
                        {
                            IReadOnlyList<LogSegmentInfo> segments = log.Segments;
                            int removed = RetainedFrom(segments, batches, logStart, clock.UnixTimeMilliseconds);
                            log.DeleteOldSegments(logEnd);
                            Assert.Equal(segments.Count - removed, log.Segments.Count);
                            if (removed > 0)
                            {
                                logStart = Math.Max(logStart, segments[removed].BaseOffset);
                                batches.RemoveAll(x => x.First < segments[removed].BaseOffset);
                            }

                            Assert.Equal(logStart, log.LogStartOffset);
                            records.RemoveAll(o => o < logStart);
                            break;
                        }

                    case 8:
                        clock.Advance(TimeSpan.FromMilliseconds(a));
                        break;
                    default:
                        {
                            bool clean = a % 2 == 0;
                            long recoveryPoint = log.RecoveryPoint;
                            long start = log.LogStartOffset;
                            if (clean)
                            {
                                log.Close();
                            }
                            else
                            {
                                // A crash without data loss: the files stay as written, the indexes as they were.
                                log.ReleaseIdleResources();
                            }

                            log = LogTestKit.Open(dir, Config, clock, recoveryPoint, clean, start);
                            break;
                        }
                }

                Assert.Equal(logEnd, log.LogEndOffset);
                Assert.Equal(logStart, log.LogStartOffset);
                List<(long Offset, int Tag)> read = LogTestKit.ReadAll(log, maxBytes: 1 + (a % 900));
                Assert.Equal(records, read.Select(r => r.Offset).ToList());
                Assert.All(read, r => Assert.Equal(r.Offset, r.Tag));
            }
        }
        finally
        {
            log.Close();
        }
    }
}
