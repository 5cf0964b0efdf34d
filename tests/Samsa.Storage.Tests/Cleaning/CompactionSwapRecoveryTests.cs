using Samsa.Storage.Log;
using Samsa.Storage.Tests.Log;
using Samsa.Testing;
using static Samsa.Storage.Tests.Cleaning.CleaningTestKit;

namespace Samsa.Storage.Tests.Cleaning;

/// <summary>
/// A crash at each step of the swap (Kafka's order: .cleaned written, renamed .swap, sources
/// renamed .deleted, .swap renamed .log), simulated by laying out the files each step leaves and
/// reopening after an unclean shutdown: the log is either the original or the compacted one,
/// never a mix that loses or duplicates a record.
/// </summary>
public sealed class CompactionSwapRecoveryTests
{
    private static readonly string[] SourceBases = ["00000000000000000000", "00000000000000000002", "00000000000000000004"];

    [Fact]
    public void A_leftover_cleaned_file_is_discarded()
    {
        using var work = new Scenario();
        using TempDirectory crashed = work.Originals();
        File.Copy(Path.Combine(work.Compacted, SourceBases[0] + ".log"), Path.Combine(LogTestKit.PartitionDir(crashed), SourceBases[0] + ".log.cleaned"));

        Assert.Equal(work.OriginalRecords, Reopen(crashed, out string[] files));
        Assert.DoesNotContain(files, f => f.EndsWith(".cleaned", StringComparison.Ordinal));
    }

    [Fact]
    public void A_swap_file_beside_all_its_sources_replaces_them()
    {
        using var work = new Scenario();
        using TempDirectory crashed = work.Originals();
        File.Copy(Path.Combine(work.Compacted, SourceBases[0] + ".log"), Path.Combine(LogTestKit.PartitionDir(crashed), SourceBases[0] + ".log.swap"));

        Assert.Equal(work.CompactedRecords, Reopen(crashed, out string[] files));
        Assert.DoesNotContain(files, f => f.EndsWith(".swap", StringComparison.Ordinal));
    }

    [Fact]
    public void A_swap_file_with_some_sources_already_renamed_for_deletion_completes()
    {
        using var work = new Scenario();
        using TempDirectory crashed = work.Originals();
        string dir = LogTestKit.PartitionDir(crashed);
        File.Copy(Path.Combine(work.Compacted, SourceBases[0] + ".log"), Path.Combine(dir, SourceBases[0] + ".log.swap"));
        File.Move(Path.Combine(dir, SourceBases[0] + ".log"), Path.Combine(dir, SourceBases[0] + ".log.deleted"));
        File.Move(Path.Combine(dir, SourceBases[1] + ".log"), Path.Combine(dir, SourceBases[1] + ".log.deleted"));

        Assert.Equal(work.CompactedRecords, Reopen(crashed, out string[] files));
        Assert.DoesNotContain(files, f => f.EndsWith(".deleted", StringComparison.Ordinal) || f.EndsWith(".swap", StringComparison.Ordinal));
    }

    [Fact]
    public void Sources_left_as_deleted_files_after_the_swap_are_removed()
    {
        using var work = new Scenario();
        using var crashed = new TempDirectory("swap");
        string dir = LogTestKit.PartitionDir(crashed);
        Scenario.CopyDirectory(work.Compacted, dir);
        foreach (string name in SourceBases)
        {
            File.Copy(Path.Combine(work.OriginalDir, name + ".log"), Path.Combine(dir, name + ".log.deleted"), overwrite: true);
        }

        Assert.Equal(work.CompactedRecords, Reopen(crashed, out string[] files));
        Assert.DoesNotContain(files, f => f.EndsWith(".deleted", StringComparison.Ordinal));
    }

    private static List<StoredRecord> Reopen(TempDirectory dir, out string[] files)
    {
        PartitionLog log = LogTestKit.Open(dir, Config, new ManualClock(), recoveryPoint: 0, clean: false);
        try
        {
            files = Directory.GetFiles(log.Directory);
            return ReadAll(log);
        }
        finally
        {
            log.Close();
        }
    }

    /// <summary>One log with three small sealed segments plus an active one, kept as it was and as compacted (one group).</summary>
    private sealed class Scenario : IDisposable
    {
        private readonly TempDirectory _original = new("swap-original");
        private readonly TempDirectory _compacted = new("swap-compacted");

        public Scenario()
        {
            var clock = new ManualClock();
            PartitionLog log = CleaningTestKit.Open(_original, clock);
            Append(log, clock, Batch(1, ("a", 1), ("b", 1)));
            Append(log, clock, Batch(2, ("a", 2), ("c", 2)));
            Append(log, clock, Batch(3, ("b", 3), ("d", 3)));
            Append(log, clock, Batch(4, ("tail", 4)));
            OriginalRecords = ReadAll(log);
            log.Close();
            CopyDirectory(OriginalDir, Compacted);

            PartitionLog compacted = CleaningTestKit.Open(_compacted, clock);
            Assert.Equal(4, compacted.Segments.Count);
            Clean(Cleaner(_compacted), compacted, clock);
            Assert.Equal(2, compacted.Segments.Count);
            CompactedRecords = ReadAll(compacted);
            compacted.Close();
            Assert.NotEqual(OriginalRecords, CompactedRecords);
        }

        public List<StoredRecord> OriginalRecords { get; }

        public List<StoredRecord> CompactedRecords { get; }

        public string OriginalDir => LogTestKit.PartitionDir(_original);

        public string Compacted => LogTestKit.PartitionDir(_compacted);

        public TempDirectory Originals()
        {
            var copy = new TempDirectory("swap");
            CopyDirectory(OriginalDir, LogTestKit.PartitionDir(copy));
            return copy;
        }

        public static void CopyDirectory(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (string file in Directory.GetFiles(from))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
            }
        }

        public void Dispose()
        {
            _original.Dispose();
            _compacted.Dispose();
        }
    }
}
