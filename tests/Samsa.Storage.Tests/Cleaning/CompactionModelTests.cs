using CsCheck;
using Samsa.Storage.Cleaning;
using Samsa.Storage.Log;
using Samsa.Testing;
using static Samsa.Storage.Tests.Cleaning.CleaningTestKit;

namespace Samsa.Storage.Tests.Cleaning;

/// <summary>
/// Random keyed appends (values and tombstones), clock moves, compaction passes and reopens
/// against the list of everything appended: after every pass the log holds only records that were
/// appended (same offset, key, value), in offset order, and for every key its latest record is the
/// model's latest — or, for a key whose latest is a tombstone, possibly nothing at all.
/// </summary>
public sealed class CompactionModelTests
{
    private static readonly Gen<(int Kind, int Key, int Value)> Operation = Gen.Select(Gen.Int[0, 11], Gen.Int[0, 7], Gen.Int[0, 1000]);

    [Fact]
    public void Compaction_keeps_the_latest_value_of_every_key()
    {
        Operation.Array[1, 50].Sample(Run, iter: 40);
    }

    private static void Run((int Kind, int Key, int Value)[] operations)
    {
        using var dir = new TempDirectory("compaction-model");
        var clock = new ManualClock();
        PartitionLog log = Open(dir, clock);
        LogCleaner cleaner = Cleaner(dir);
        var appended = new List<StoredRecord>();
        try
        {
            foreach ((int kind, int key, int value) in operations)
            {
                switch (kind)
                {
                    case <= 5:
                        {
                            int? v = kind == 5 ? null : value;
                            long timestamp = clock.UnixTimeMilliseconds;
                            LogAppendInfo info = Append(log, clock, Batch(timestamp, ($"k{key}", v), ($"k{(key + value) % 8}", value)));
                            appended.Add(new StoredRecord(info.FirstOffset, $"k{key}", v, timestamp));
                            appended.Add(new StoredRecord(info.FirstOffset + 1, $"k{(key + value) % 8}", value, timestamp + 1));
                            break;
                        }

                    case 6:
                        clock.Advance(TimeSpan.FromMilliseconds(DeleteRetentionMs / 3));
                        break;
                    case 7:
                    case 8:
                        cleaner.Clean(log, clock.UnixTimeMilliseconds, log.LogEndOffset, force: kind == 7);
                        Check(log, appended);
                        break;
                    case 9:
                        // A follower-style high watermark below the end.
                        cleaner.Clean(log, clock.UnixTimeMilliseconds, log.LogEndOffset - 3, force: true);
                        Check(log, appended);
                        break;
                    default:
                        log.Close();
                        log = Open(dir, clock);
                        cleaner = Cleaner(dir);
                        Check(log, appended);
                        break;
                }
            }

            clock.Advance(TimeSpan.FromMilliseconds(DeleteRetentionMs * 2));
            cleaner.Clean(log, clock.UnixTimeMilliseconds, log.LogEndOffset, force: true);
            clock.Advance(TimeSpan.FromMilliseconds(DeleteRetentionMs * 2));
            cleaner.Clean(log, clock.UnixTimeMilliseconds, log.LogEndOffset, force: true);
            Check(log, appended);
        }
        finally
        {
            log.Close();
        }
    }

    private static void Check(PartitionLog log, List<StoredRecord> appended)
    {
        List<StoredRecord> stored = ReadAll(log);
        var byOffset = appended.ToDictionary(r => r.Offset);
        long previous = -1;
        foreach (StoredRecord record in stored)
        {
            Assert.True(record.Offset > previous, "offsets grow");
            Assert.Equal(byOffset[record.Offset], record);
            previous = record.Offset;
        }

        Dictionary<string, StoredRecord> expected = Latest(appended);
        Dictionary<string, StoredRecord> actual = Latest(stored);
        foreach ((string key, StoredRecord latest) in expected)
        {
            if (latest.Value is null)
            {
                Assert.True(!actual.TryGetValue(key, out StoredRecord found) || found == latest, $"{key}: tombstone or nothing");
            }
            else
            {
                Assert.Equal(latest, actual[key]);
            }
        }

        Assert.Equal(Table(appended), Table(stored));
    }
}
