using CsCheck;
using Samsa.Storage.Checkpoints;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Checkpoints;

public class LeaderEpochCacheTests
{
    private const int Undefined = LeaderEpochCache.UndefinedEpoch;

    [Fact]
    public void NewCache_WithoutFile_IsEmpty()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir);

        Assert.Empty(cache.Entries);
        Assert.Null(cache.Latest);
        Assert.Null(cache.LatestEpoch);
        Assert.Equal((Undefined, -1L), cache.EndOffsetFor(0, 100));
        Assert.False(File.Exists(cache.Path));
    }

    [Fact]
    public void Assign_AppendsAndPersists()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir);

        cache.Assign(2, 10);
        cache.Assign(3, 15);

        Assert.Equal([new EpochEntry(2, 10), new EpochEntry(3, 15)], cache.Entries);
        Assert.Equal(new EpochEntry(3, 15), cache.Latest);
        Assert.Equal(3, cache.LatestEpoch);
        Assert.Equal("0\n2\n2 10\n3 15\n", File.ReadAllText(cache.Path));
    }

    [Fact]
    public void Assign_SameEpochAtSameOrLaterOffset_ChangesNothing()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir);
        cache.Assign(2, 6);
        DateTime written = File.GetLastWriteTimeUtc(cache.Path);
        File.Delete(cache.Path);

        cache.Assign(2, 6);
        cache.Assign(2, 7);

        Assert.Equal([new EpochEntry(2, 6)], cache.Entries);
        Assert.False(File.Exists(cache.Path), "no change means no rewrite");
        Assert.NotEqual(default, written);
    }

    [Fact]
    public void Assign_SameEpochAtEarlierOffset_MovesItsStart()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (5, 11), (6, 12), (7, 13));

        cache.Assign(7, 12);

        Assert.Equal([new EpochEntry(5, 11), new EpochEntry(7, 12)], cache.Entries);
        Assert.Equal(cache.Entries, Reload(cache).Entries);
    }

    [Fact]
    public void Assign_NewerEpochAtLowerOffset_RemovesEntriesAtOrAboveIt()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (2, 6));

        cache.Assign(3, 5);

        Assert.Equal([new EpochEntry(3, 5)], cache.Entries);
    }

    [Fact]
    public void Assign_NewerEpochAtSameOffset_ReplacesTheEmptyEpoch()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (1, 0), (2, 10));

        cache.Assign(3, 10);

        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(3, 10)], cache.Entries);
    }

    [Fact]
    public void Assign_OlderEpoch_WinsOverConflictingLaterEntries_AsInKafka()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (1, 0), (4, 10), (6, 20));

        cache.Assign(5, 30);

        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(4, 10), new EpochEntry(5, 30)], cache.Entries);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, -1)]
    public void Assign_Negative_Throws(int epoch, long offset)
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir);

        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Assign(epoch, offset));
    }

    [Fact]
    public void Assign_WhenCheckpointCannotBeWritten_ThrowsAndKeepsOldEntries()
    {
        using TempDirectory dir = new();
        string partitionDir = dir.Combine("t-0");
        Directory.CreateDirectory(partitionDir);
        LeaderEpochCache cache = new(new LeaderEpochCheckpointFile(Path.Combine(partitionDir, LeaderEpochCheckpointFile.FileName)));
        cache.Assign(1, 0);
        Directory.Delete(partitionDir, recursive: true);

        Assert.Throws<StorageException>(() => cache.Assign(2, 5));

        Assert.Equal([new EpochEntry(1, 0)], cache.Entries);
    }

    [Fact]
    public void EndOffsetFor_LatestEpoch_IsLogEndOffset()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (2, 6));

        Assert.Equal((2, 7L), cache.EndOffsetFor(2, 7));
        Assert.Equal((2, 1000L), cache.EndOffsetFor(2, 1000));
    }

    [Fact]
    public void EndOffsetFor_UndefinedEpoch_IsUndefined()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (0, 0), (1, 5));

        Assert.Equal((Undefined, -1L), cache.EndOffsetFor(Undefined, 10));
    }

    [Fact]
    public void EndOffsetFor_UnknownNewerEpoch_IsUndefined()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (2, 100));

        Assert.Equal((Undefined, -1L), cache.EndOffsetFor(3, 100));
    }

    [Fact]
    public void EndOffsetFor_EpochBetweenKnownOnes_IsLargestEpochBelowAndNextStart()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (0, 10), (2, 13), (4, 17));

        Assert.Equal((0, 13L), cache.EndOffsetFor(0, 30));
        Assert.Equal((0, 13L), cache.EndOffsetFor(1, 30));
        Assert.Equal((2, 17L), cache.EndOffsetFor(2, 30));
        Assert.Equal((2, 17L), cache.EndOffsetFor(3, 30));
        Assert.Equal((4, 30L), cache.EndOffsetFor(4, 30));
        Assert.Equal((Undefined, -1L), cache.EndOffsetFor(5, 30));
    }

    [Fact]
    public void EndOffsetFor_EpochOlderThanAllKnown_IsRequestedEpochAndFirstStart_AsInKafka()
    {
        // Kafka's LeaderEpochFileCache answers (requested, first start offset) here, not
        // (-1, -1): the older epochs' data is gone and the follower must truncate to our start.
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (5, 11), (6, 12), (7, 13));

        Assert.Equal((4, 11L), cache.EndOffsetFor(4, 20));
        Assert.Equal((0, 11L), cache.EndOffsetFor(0, 20));
    }

    [Fact]
    public void TruncateFromEnd_RemovesEntriesStartingAtOrAfterOffset()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (2, 6), (3, 8), (4, 11));

        cache.TruncateFromEnd(9);
        Assert.Equal([new EpochEntry(2, 6), new EpochEntry(3, 8)], cache.Entries);

        cache.TruncateFromEnd(8);
        Assert.Equal([new EpochEntry(2, 6)], cache.Entries);
        Assert.Equal(cache.Entries, Reload(cache).Entries);

        cache.TruncateFromEnd(0);
        Assert.Empty(cache.Entries);
        Assert.Empty(Reload(cache).Entries);
    }

    [Theory]
    [InlineData(12L)]
    [InlineData(100L)]
    [InlineData(-1L)]
    public void TruncateFromEnd_BeyondLatestStartOrUndefined_ChangesNothing(long endOffset)
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (2, 6), (3, 8), (4, 11));
        File.Delete(cache.Path);

        cache.TruncateFromEnd(endOffset);

        Assert.Equal([new EpochEntry(2, 6), new EpochEntry(3, 8), new EpochEntry(4, 11)], cache.Entries);
        Assert.False(File.Exists(cache.Path), "no change means no rewrite");
    }

    [Theory]
    [InlineData(5L, new long[] { 2, 6, 3, 8, 4, 11 })]
    [InlineData(6L, new long[] { 2, 6, 3, 8, 4, 11 })]
    [InlineData(7L, new long[] { 2, 7, 3, 8, 4, 11 })]
    [InlineData(8L, new long[] { 3, 8, 4, 11 })]
    [InlineData(9L, new long[] { 3, 9, 4, 11 })]
    [InlineData(11L, new long[] { 4, 11 })]
    [InlineData(15L, new long[] { 4, 15 })]
    public void TruncateFromStart_DropsWhollyCoveredEntries_AndMovesTheCoveringOne(long startOffset, long[] expected)
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (2, 6), (3, 8), (4, 11));

        cache.TruncateFromStart(startOffset);

        EpochEntry[] expectedEntries = new EpochEntry[expected.Length / 2];
        for (int i = 0; i < expectedEntries.Length; i++)
        {
            expectedEntries[i] = new EpochEntry((int)expected[2 * i], expected[(2 * i) + 1]);
        }

        Assert.Equal(expectedEntries, cache.Entries);
        Assert.Equal(expectedEntries, Reload(cache).Entries);
    }

    [Fact]
    public void Clear_RemovesEverything_AndPersists()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (1, 0), (2, 5));

        cache.Clear();

        Assert.Empty(cache.Entries);
        Assert.Null(cache.LatestEpoch);
        Assert.Empty(Reload(cache).Entries);
    }

    [Fact]
    public void TruncateAndClear_AfterPartitionDirIsDeleted_DoNotRecreateIt()
    {
        using TempDirectory dir = new();
        string partitionDir = dir.Combine("t-0");
        Directory.CreateDirectory(partitionDir);
        LeaderEpochCache cache = new(new LeaderEpochCheckpointFile(Path.Combine(partitionDir, LeaderEpochCheckpointFile.FileName)));
        cache.Assign(1, 0);
        cache.Assign(2, 10);
        Directory.Delete(partitionDir, recursive: true);

        cache.TruncateFromEnd(10);
        cache.TruncateFromStart(5);
        cache.Clear();

        Assert.Empty(cache.Entries);
        Assert.False(Directory.Exists(partitionDir));
    }

    [Fact]
    public void Constructor_LoadsExistingCheckpoint()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(LeaderEpochCheckpointFile.FileName);
        File.WriteAllText(path, "0\n3\n0 0\n1 100\n3 250\n");

        LeaderEpochCache cache = new(new LeaderEpochCheckpointFile(path));

        Assert.Equal([new EpochEntry(0, 0), new EpochEntry(1, 100), new EpochEntry(3, 250)], cache.Entries);
        Assert.Equal((1, 250L), cache.EndOffsetFor(2, 300));
    }

    [Fact]
    public void Constructor_NonMonotonicCheckpoint_KeepsWhatTheAssignRulesKeep()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(LeaderEpochCheckpointFile.FileName);
        File.WriteAllText(path, "0\n3\n1 0\n2 50\n3 40\n");

        LeaderEpochCache cache = new(new LeaderEpochCheckpointFile(path));

        Assert.Equal([new EpochEntry(1, 0), new EpochEntry(3, 40)], cache.Entries);
    }

    [Fact]
    public void Constructor_NegativeEntry_IsCorruption()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(LeaderEpochCheckpointFile.FileName);
        File.WriteAllText(path, "0\n1\n-1 0\n");

        Assert.Throws<StorageException>(() => new LeaderEpochCache(new LeaderEpochCheckpointFile(path)));
    }

    [Fact]
    public void Constructor_CorruptCheckpoint_Throws()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(LeaderEpochCheckpointFile.FileName);
        File.WriteAllText(path, "0\n2\n1 0\n");

        Assert.Throws<StorageException>(() => new LeaderEpochCache(new LeaderEpochCheckpointFile(path)));
    }

    [Fact]
    public void Entries_IsASnapshot()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir, (1, 0));
        IReadOnlyList<EpochEntry> before = cache.Entries;

        cache.Assign(2, 10);

        Assert.Single(before);
        Assert.Equal(2, cache.Entries.Count);
    }

    [Fact]
    public async Task ConcurrentReaders_DuringAssigns_AlwaysSeeStrictlyIncreasingEntries()
    {
        using TempDirectory dir = new();
        LeaderEpochCache cache = NewCache(dir);
        using CancellationTokenSource done = new();
        Task[] readers = new Task[2];
        for (int r = 0; r < readers.Length; r++)
        {
            readers[r] = Task.Run(() =>
            {
                while (!done.IsCancellationRequested)
                {
                    IReadOnlyList<EpochEntry> entries = cache.Entries;
                    AssertStrictlyIncreasing(entries);
                    if (entries.Count > 0)
                    {
                        // The latest epoch may change between the two reads; either answer is
                        // consistent: a known epoch with a real offset, or undefined.
                        (int epoch, long end) = cache.EndOffsetFor(entries[^1].Epoch, long.MaxValue);
                        Assert.True(epoch == Undefined ? end == -1 : end >= 0);
                    }
                }
            });
        }

        for (int epoch = 0; epoch < 100; epoch++)
        {
            cache.Assign(epoch, epoch * 10L);
            if (epoch % 10 == 9)
            {
                cache.TruncateFromEnd((epoch * 10L) - 15);
            }
        }

        await done.CancelAsync();
        await Task.WhenAll(readers);
        AssertStrictlyIncreasing(cache.Entries);
        Assert.Equal(cache.Entries, Reload(cache).Entries);
    }

    /// <summary>
    /// Random assigns and truncations against a model written straight from Kafka's rules on a
    /// sorted map; after every step the cache matches the model, stays strictly increasing, and a
    /// cache reloaded from its file has the same entries.
    /// </summary>
    [Fact]
    public void RandomOperations_MatchKafkaModel_AndSurviveReload()
    {
        Gen<(int Kind, int Epoch, long Offset)> operation = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 12], Gen.Long[-1, 60]);
        operation.Array[1, 30].Sample(operations =>
        {
            using TempDirectory dir = new();
            LeaderEpochCache cache = NewCache(dir);
            SortedDictionary<int, long> model = [];
            foreach ((int kind, int epoch, long offset) in operations)
            {
                switch (kind)
                {
                    case 0 or 1 or 2 when offset >= 0:
                        cache.Assign(epoch, offset);
                        ModelAssign(model, epoch, offset);
                        break;
                    case 3:
                        cache.TruncateFromEnd(offset);
                        ModelTruncateFromEnd(model, offset);
                        break;
                    case 4:
                        cache.TruncateFromStart(offset);
                        ModelTruncateFromStart(model, offset);
                        break;
                    case 5:
                        Assert.Equal(ModelEndOffsetFor(model, epoch, 1000), cache.EndOffsetFor(epoch, 1000));
                        break;
                }

                List<EpochEntry> expected = [];
                foreach (KeyValuePair<int, long> pair in model)
                {
                    expected.Add(new EpochEntry(pair.Key, pair.Value));
                }

                Assert.Equal(expected, cache.Entries);
                AssertStrictlyIncreasing(cache.Entries);
            }

            Assert.Equal(cache.Entries, Reload(cache).Entries);
        }, iter: 100);
    }

    private static void ModelAssign(SortedDictionary<int, long> model, int epoch, long offset)
    {
        if (model.Count > 0)
        {
            KeyValuePair<int, long> last = model.Last();
            if (last.Key == epoch && offset >= last.Value)
            {
                return;
            }
        }

        while (model.Count > 0)
        {
            KeyValuePair<int, long> last = model.Last();
            if (last.Key < epoch && last.Value < offset)
            {
                break;
            }

            model.Remove(last.Key);
        }

        model[epoch] = offset;
    }

    private static void ModelTruncateFromEnd(SortedDictionary<int, long> model, long endOffset)
    {
        if (endOffset < 0)
        {
            return;
        }

        foreach (int epoch in model.Where(p => p.Value >= endOffset).Select(p => p.Key).ToList())
        {
            model.Remove(epoch);
        }
    }

    private static void ModelTruncateFromStart(SortedDictionary<int, long> model, long startOffset)
    {
        List<KeyValuePair<int, long>> covered = model.Where(p => p.Value <= startOffset).ToList();
        if (covered.Count == 0)
        {
            return;
        }

        foreach (KeyValuePair<int, long> pair in covered)
        {
            model.Remove(pair.Key);
        }

        model[covered[^1].Key] = startOffset;
    }

    private static (int, long) ModelEndOffsetFor(SortedDictionary<int, long> model, int requested, long logEndOffset)
    {
        if (requested == Undefined || model.Count == 0)
        {
            return (Undefined, -1);
        }

        if (model.Last().Key == requested)
        {
            return (requested, logEndOffset);
        }

        List<KeyValuePair<int, long>> higher = model.Where(p => p.Key > requested).ToList();
        List<KeyValuePair<int, long>> floor = model.Where(p => p.Key <= requested).ToList();
        if (higher.Count == 0)
        {
            return (Undefined, -1);
        }

        return floor.Count == 0 ? (requested, higher[0].Value) : (floor[^1].Key, higher[0].Value);
    }

    private static void AssertStrictlyIncreasing(IReadOnlyList<EpochEntry> entries)
    {
        for (int i = 1; i < entries.Count; i++)
        {
            Assert.True(entries[i].Epoch > entries[i - 1].Epoch, $"epochs not increasing at {i}");
            Assert.True(entries[i].StartOffset > entries[i - 1].StartOffset, $"start offsets not increasing at {i}");
        }
    }

    private static LeaderEpochCache NewCache(TempDirectory dir, params (int Epoch, long StartOffset)[] entries)
    {
        LeaderEpochCache cache = new(new LeaderEpochCheckpointFile(dir.Combine(LeaderEpochCheckpointFile.FileName)));
        foreach ((int epoch, long startOffset) in entries)
        {
            cache.Assign(epoch, startOffset);
        }

        return cache;
    }

    private static LeaderEpochCache Reload(LeaderEpochCache cache) => new(new LeaderEpochCheckpointFile(cache.Path));
}
