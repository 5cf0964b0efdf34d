using System.Globalization;
using Samsa.CrashLoop;
using Xunit.Abstractions;

namespace Samsa.Integration.Tests.Reliability;

/// <summary>
/// A short run of the broker crash loop (bench/Samsa.CrashLoop; the long run is
/// bench/crash-loop.sh): a real broker process SIGKILLed at seeded-random moments under idempotent
/// acks=all producers and a committing group consumer, restarted on the same log dir, and audited
/// after every round: every acknowledged message stored exactly once at its acknowledged offset in
/// producer order, nothing corrupt readable (check.crcs), committed offsets neither lost nor past
/// the log end. SAMSA_BROKER_CRASH_SEED and SAMSA_BROKER_CRASH_ROUNDS change the run.
/// </summary>
public sealed class BrokerCrashLoopTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task Acknowledged_messages_and_committed_offsets_survive_repeated_broker_kills()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var options = new CrashLoopOptions
        {
            Seed = FromEnvironment("SAMSA_BROKER_CRASH_SEED", 20261126),
            Rounds = FromEnvironment("SAMSA_BROKER_CRASH_ROUNDS", 3),
            Producers = 2,
            MessagesPerSecond = 1000,
            MinKillDelay = TimeSpan.FromMilliseconds(200),
            MaxKillDelay = TimeSpan.FromMilliseconds(1000),
            StepTimeout = TimeSpan.FromSeconds(30),
        };

        CrashLoopResult result = await BrokerCrashLoop.RunAsync(options, output.WriteLine, timeout.Token);

        string why = $"seed {result.Seed}: {string.Join("\n", result.Problems)}";
        Assert.True(result.Passed, why);
        Assert.Equal(options.Rounds, result.RoundsCompleted);
        Assert.Equal(0, result.Lost);
        Assert.Equal(0, result.Duplicated);
        Assert.True(result.Acknowledged > 0 && result.AcknowledgementsChecked >= result.Acknowledged, $"nothing was checked: {BrokerCrashLoop.Summary(result)}");
        Assert.True(result.CommitsChecked > 0, $"no committed offset was checked: {BrokerCrashLoop.Summary(result)}");
    }

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
}
