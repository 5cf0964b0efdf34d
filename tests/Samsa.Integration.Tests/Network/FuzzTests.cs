using Samsa.Fuzzer;
using Xunit.Abstractions;

namespace Samsa.Integration.Tests.Network;

/// <summary>
/// The bounded hostile-input run (bench/Samsa.Fuzzer, the same core as bench/fuzz.sh): real
/// Confluent.Kafka requests captured through a proxy, then bit flips, lying lengths, wrong versions,
/// corrupt record batches, splices and garbage on eight connections, beside a well-behaved
/// producer and group consumer. Half the connections replay a fixed seed, half a fresh one; both
/// are in the failure message.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int FixedSeed = 20261126;
    private static readonly TimeSpan FuzzFor = TimeSpan.FromSeconds(12);
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Hostile_requests_leave_the_broker_up_bounded_and_serving_a_well_behaved_client()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        var options = new FuzzOptions
        {
            Duration = FuzzFor,
            Seed = FixedSeed,
            SecondSeed = Random.Shared.Next(),
            Connections = 8,
        };
        output.WriteLine($"seeds {options.Seed} (fixed) and {options.SecondSeed} (random): rerun with bench/fuzz.sh --seconds 12 --seed {options.Seed} --second-seed {options.SecondSeed}");

        FuzzReport report = await FuzzRun.RunAsync(options, output.WriteLine, timeout.Token);
        output.WriteLine(report.ToString());

        Assert.True(report.Passed, report.ToString());
        foreach (MutationKind kind in Enum.GetValues<MutationKind>())
        {
            Assert.True(report.Stats.Sent(kind) > 0, $"no {kind} frame was sent\n{report}");
        }

        Assert.True(report.Stats.ClosedByBroker > 0, report.ToString());
        Assert.True(report.Stats.Responses > 0, report.ToString());
        Assert.True(report.WellBehavedAcked > 0 && report.WellBehavedMissing == 0, report.ToString());
    }
}
