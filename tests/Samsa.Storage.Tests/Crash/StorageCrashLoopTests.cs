using System.Diagnostics;
using System.Globalization;
using Samsa.Storage.CrashWriter;
using Samsa.Testing;
using Xunit.Abstractions;

namespace Samsa.Storage.Tests.Crash;

/// <summary>
/// The storage crash loop: a real child process (Samsa.Storage.CrashWriter) appends to a log dir
/// and is killed with SIGKILL at random moments; the log is then reopened here, unclean, and must
/// hold every append whose call returned and nothing torn. Some rounds also restart the writer and
/// kill it again while it is still opening (recovering) the log. Rounds, seed and the rounds per
/// fresh log dir are seeded and printed, so a failure replays with SAMSA_CRASH_SEED.
/// SAMSA_CRASH_ROUNDS=N runs a long loop (docs/reliability.md, "Storage crash loop").
/// </summary>
public sealed class StorageCrashLoopTests(ITestOutputHelper output)
{
    private const int DefaultRounds = 5;
    private const int DefaultSeed = 20261127;
    private const int RoundsPerDirectory = 10;
    private const int MinAcksBeforeKill = 20;
    private const int MaxAcksBeforeKill = 300;
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Killed_writer_keeps_every_acked_append_and_leaves_no_torn_batch()
    {
        int rounds = EnvironmentInt("SAMSA_CRASH_ROUNDS", DefaultRounds);
        int seed = EnvironmentInt("SAMSA_CRASH_SEED", DefaultSeed);
        var random = new Random(seed);
        var stopwatch = Stopwatch.StartNew();
        using var root = new TempDirectory("crash");
        var acked = new List<long>();
        string logDir = "";
        int epoch = 0;
        long recoveryEstimateMs = 20;
        long totalAcked = 0;
        long totalBatchesChecked = 0;
        int writerKills = 0;
        int recoveryKills = 0;
        int killedWhileOpening = 0;

        for (int round = 0; round < rounds; round++)
        {
            if (round % RoundsPerDirectory == 0)
            {
                logDir = root.Combine(string.Create(CultureInfo.InvariantCulture, $"dir-{round}"));
                acked.Clear();
            }

            CrashWriterSettings settings = PickSettings(logDir, random, ++epoch);
            string context = string.Create(CultureInfo.InvariantCulture, $"seed {seed} round {round} ({settings})");

            // Append until a random number of acks, then SIGKILL wherever the writer is.
            await using (CrashWriterProcess writer = CrashWriterProcess.Start(settings))
            {
                int killAfter = random.Next(MinAcksBeforeKill, MaxAcksBeforeKill + 1);
                await WithTimeout(writer.WaitForAcksAsync(killAfter), writer, context);
                await writer.KillAsync();
                Assert.True(writer.WasKilled, $"{context}: writer exited with {writer.ExitCode}: {writer.StandardError}");
                acked.AddRange(writer.Acked);
                totalAcked += writer.Acked.Count;
                writerKills++;
            }

            // Every other round: restart on the crashed dir and kill again during the open
            // (recovery, truncation, index rebuild), up to three times in a row.
            if (round % 2 == 1)
            {
                int attempts = random.Next(1, 4);
                for (int attempt = 0; attempt < attempts; attempt++)
                {
                    // Without a recovery-point checkpoint (a broker that crashed before its first
                    // one) the open validates the whole log, a window wide enough to kill inside.
                    File.Delete(Path.Combine(logDir, Samsa.Storage.Checkpoints.OffsetCheckpointFile.RecoveryPointFileName));
                    CrashWriterSettings again = settings with { Seed = random.Next(), LeaderEpoch = ++epoch };
                    await using CrashWriterProcess writer = CrashWriterProcess.Start(again);
                    await WithTimeout(writer.Opening, writer, context);
                    await Task.Delay(TimeSpan.FromMilliseconds(random.NextInt64(0, (2 * recoveryEstimateMs) + 1)));
                    await writer.KillAsync();
                    Assert.True(writer.WasKilled, $"{context}: writer exited with {writer.ExitCode}: {writer.StandardError}");
                    acked.AddRange(writer.Acked);
                    totalAcked += writer.Acked.Count;
                    recoveryKills++;
                    if (writer.HasOpened)
                    {
                        recoveryEstimateMs = Math.Max(1, writer.OpenMs);
                    }
                    else
                    {
                        killedWhileOpening++;
                    }
                }
            }

            CrashLogCheckResult result = CrashLogCheck.Run(settings, acked, random, expectUnclean: true);
            totalBatchesChecked += result.Batches;
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"round {round}: log end {result.LogEnd}, {result.Batches} batches in {result.Segments} segments, {acked.Count} acked appends kept"));
        }

        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"seed {seed}: {rounds} rounds in {stopwatch.Elapsed.TotalSeconds:F1} s; {writerKills} kills while appending, "
            + $"{recoveryKills} kills after restart ({killedWhileOpening} before the open finished); "
            + $"{totalAcked} acked appends, 0 lost; {totalBatchesChecked} stored batches checked"));
    }

    /// <summary>Tiny segments and indexes so rolls (size and full index) happen every few appends; a random flush policy.</summary>
    private static CrashWriterSettings PickSettings(string logDir, Random random, int epoch)
    {
        var settings = new CrashWriterSettings
        {
            LogDir = logDir,
            Seed = random.Next(),
            LeaderEpoch = epoch,
            SegmentBytes = random.Next(64, 513) * 1024,
            SegmentIndexBytes = random.Next(1, 9) * 256,
            IndexIntervalBytes = random.Next(1, 9) * 512,
        };

        return random.Next(3) switch
        {
            0 => settings, // Kafka's default: page cache; fsync on roll only.
            1 => settings with { FlushEvery = random.Next(1, 21) }, // explicit Flush + checkpoints
            _ => settings with { FlushMessages = random.Next(1, 101) }, // flush.messages
        };
    }

    private static async Task WithTimeout(Task task, CrashWriterProcess writer, string context)
    {
        Task finished = await Task.WhenAny(task, Task.Delay(RoundTimeout));
        Assert.True(finished == task, $"{context}: the writer made no progress in {RoundTimeout}: {writer.StandardError}");
        if (task.IsFaulted)
        {
            Assert.Fail($"{context}: the writer exited early ({writer.StandardError})");
        }
    }

    private static int EnvironmentInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
}
