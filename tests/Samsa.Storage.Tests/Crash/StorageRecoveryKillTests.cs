using System.Diagnostics;
using System.Globalization;
using Samsa.Storage.Checkpoints;
using Samsa.Storage.CrashWriter;
using Samsa.Storage.Log;
using Samsa.Testing;
using Xunit.Abstractions;

namespace Samsa.Storage.Tests.Crash;

/// <summary>
/// A crash while recovering from a crash: the writer child is SIGKILLed mid-append, leaving an
/// unclean log dir with tens of MiB nobody flushed (no recovery-point checkpoint) and, here, no
/// index files; a restarted child recovers it (validating every batch and rebuilding every index)
/// and is SIGKILLed again in the middle of that, several times; the last recovery must still find
/// every acked append, no torn batch, and index files that agree with the segments.
/// </summary>
public sealed class StorageRecoveryKillTests(ITestOutputHelper output)
{
    private const int Seed = 20261126;
    private const int Rounds = 4;
    private const int AcksBeforeFirstKill = 2500;
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killed_recovery_leaves_a_log_the_next_recovery_restores_completely()
    {
        var stopwatch = Stopwatch.StartNew();
        var random = new Random(Seed);
        using var root = new TempDirectory("recovery-kill");

        // 1 MiB segments: recovery rebuilds their indexes one after the other, which the child
        // reports, so a kill can land with part of the log recovered and part not.
        var settings = new CrashWriterSettings
        {
            LogDir = root.Combine("logs"),
            Seed = random.Next(),
            LeaderEpoch = 1,
            SegmentBytes = 1024 * 1024,
            SegmentIndexBytes = 64 * 1024,
            IndexIntervalBytes = 4096,
        };
        string partitionDir = Path.Combine(settings.LogDir, CrashWriterSettings.Partition.DirectoryName);
        var acked = new List<long>();
        await using (CrashWriterProcess writer = CrashWriterProcess.Start(settings))
        {
            await WithTimeout(writer.WaitForAcksAsync(AcksBeforeFirstKill), writer, "filling");
            await writer.KillAsync();
            Assert.True(writer.WasKilled, $"writer exited with {writer.ExitCode}: {writer.StandardError}");
            acked.AddRange(writer.Acked);
        }

        int segments = Directory.GetFiles(partitionDir, "*" + LogFileNames.LogSuffix).Length;
        Assert.True(segments >= 8, $"only {segments} segments written");
        int killedInside = 0;
        int epoch = settings.LeaderEpoch;
        for (int round = 0; round < Rounds; round++)
        {
            RemoveIndexesAndRecoveryPoint(settings.LogDir, partitionDir);

            // Kill once the child has rebuilt the indexes of a random share of the segments (at
            // most half: the rest of the recovery is still ahead of it).
            int killAt = random.Next(1, (segments / 2) + 1);
            CrashWriterSettings again = settings with { Seed = random.Next(), LeaderEpoch = ++epoch, ReportRecovery = true };
            string context = string.Create(CultureInfo.InvariantCulture, $"round {round}, kill after {killAt} of {segments} segments");
            await using CrashWriterProcess writer = CrashWriterProcess.Start(again);
            Task recovering = writer.WaitForRecoveryAsync(killAt, kill: true);
            await WithTimeout(Task.WhenAny(recovering, writer.Opened), writer, context);
            await writer.KillAsync();
            Assert.True(writer.WasKilled, $"{context}: writer exited with {writer.ExitCode}: {writer.StandardError}");
            acked.AddRange(writer.Acked);
            bool inside = !writer.HasOpened;
            killedInside += inside ? 1 : 0;
            output.WriteLine($"{context}: killed {(inside ? "during recovery" : "after the open")}, {writer.Acked.Count} new acks");
        }

        // The recovery kill must have hit recovery, not only the appends after it.
        Assert.True(killedInside > 0, $"no kill of {Rounds} landed before the open finished");

        // The last open starts from exactly what the last killed recovery left (some indexes
        // rebuilt, some not, maybe one half-written) and must put all of it right.
        CrashLogCheckResult result = CrashLogCheck.Run(settings, acked, random, expectUnclean: true);
        int indexEntries = CrashIndexCheck.Run(partitionDir);
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"seed {Seed}: {killedInside} of {Rounds} kills during recovery; log end {result.LogEnd}, {result.Batches} batches in "
            + $"{result.Segments} segments, {acked.Count} acked appends kept, {indexEntries} index entries checked, {stopwatch.Elapsed.TotalSeconds:F1} s"));
    }

    /// <summary>Makes the next open validate the whole log and rebuild every index.</summary>
    private static void RemoveIndexesAndRecoveryPoint(string logDir, string partitionDir)
    {
        File.Delete(Path.Combine(logDir, OffsetCheckpointFile.RecoveryPointFileName));
        foreach (string path in Directory.GetFiles(partitionDir))
        {
            if (path.EndsWith(LogFileNames.IndexSuffix, StringComparison.Ordinal) || path.EndsWith(LogFileNames.TimeIndexSuffix, StringComparison.Ordinal))
            {
                File.Delete(path);
            }
        }
    }

    private static async Task WithTimeout(Task task, CrashWriterProcess writer, string context)
    {
        Task finished = await Task.WhenAny(task, Task.Delay(StepTimeout));
        Assert.True(finished == task, $"{context}: the writer made no progress in {StepTimeout}: {writer.StandardError}");
        if (task.IsFaulted)
        {
            Assert.Fail($"{context}: the writer exited early ({writer.StandardError})");
        }
    }
}
