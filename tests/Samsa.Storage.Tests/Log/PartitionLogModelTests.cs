using CsCheck;
using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// Random sequences of appends, reads, rolls (tiny segments), truncations, DeleteRecords,
/// retention and reopens (clean and unclean) against a list of (offset, tag) records.
/// </summary>
public sealed class PartitionLogModelTests
{
    private static readonly LogConfig Config = LogConfig.Default with
    {
        SegmentBytes = 700,
        IndexIntervalBytes = 120,
        RetentionBytes = 2000,
        RetentionMs = -1,
        FileDeleteDelayMs = 0,
    };

    private static readonly Gen<(int Kind, int A, int B)> Operation = Gen.Select(Gen.Int[0, 9], Gen.Int[0, 1000], Gen.Int[1, 4]);

    [Fact]
    public void Log_matches_a_list_model()
    {
        Operation.Array[1, 60].Sample(Run, iter: 60);
    }

    private static void Run((int Kind, int A, int B)[] operations)
    {
        using var dir = new TempDirectory("model");
        var clock = new ManualClock();
        PartitionLog log = LogTestKit.Open(dir, Config, clock);
        var records = new List<long>();
        var batchStarts = new List<long>();
        long logStart = 0;
        long logEnd = 0;
        try
        {
            foreach ((int kind, int a, int b) in operations)
            {
                switch (kind)
                {
                    case <= 4:
                        LogAppendInfo info = log.AppendAsLeader(LogTestKit.Batch(b, a, tag: (int)logEnd), 0);
                        Assert.Equal(LogAppendStatus.Success, info.Status);
                        Assert.Equal(logEnd, info.FirstOffset);
                        batchStarts.Add(logEnd);
                        for (int i = 0; i < b; i++)
                        {
                            records.Add(logEnd++);
                        }

                        break;
                    case 5:
                        {
                            var candidates = batchStarts.Where(s => s >= logStart).ToList();
                            if (candidates.Count == 0)
                            {
                                break;
                            }

                            long target = candidates[a % candidates.Count];
                            log.TruncateTo(target);
                            records.RemoveAll(o => o >= target);
                            batchStarts.RemoveAll(o => o >= target);
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
                        log.DeleteOldSegments(logEnd);
                        Assert.True(log.LogStartOffset >= logStart);
                        logStart = log.LogStartOffset;
                        records.RemoveAll(o => o < logStart);
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
