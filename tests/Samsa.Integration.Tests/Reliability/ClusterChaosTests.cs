using System.Globalization;
using Samsa.CrashLoop;
using Xunit.Abstractions;

namespace Samsa.Integration.Tests.Reliability;

/// <summary>
/// A short run of the cluster chaos loop (bench/Samsa.CrashLoop; the long run is bench/chaos.sh): a
/// real three-server ZooKeeper ensemble and three brokers, a topic with three replicas and
/// min.insync.replicas=2 under idempotent acks=all producers and a committing group consumer. One
/// round each SIGKILLs a broker and restarts it, SIGSTOPs a broker past its ZooKeeper session and
/// continues it, and SIGKILLs a ZooKeeper server and restarts it; after each the cluster must have
/// every replica in sync again and the crash loop's audits must pass (every acknowledged message
/// stored once at its acknowledged offset in producer order, nothing corrupt readable, committed
/// offsets neither lost nor past the log end). SAMSA_CHAOS_SEED changes the seed.
/// </summary>
public sealed class ClusterChaosTests(ITestOutputHelper output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task Acknowledged_messages_survive_broker_kills_broker_pauses_and_zookeeper_kills()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        ChaosFault[] faults = [ChaosFault.BrokerKill, ChaosFault.BrokerPause, ChaosFault.ZooKeeperKill];
        var options = new ClusterChaosOptions
        {
            Seed = FromEnvironment("SAMSA_CHAOS_SEED", 20261126),
            Rounds = faults.Length,
            Faults = faults,
            Partitions = 3,
            MessagesPerSecond = 200,
            MaxFaultDelay = TimeSpan.FromSeconds(1),
            MaxDownTime = TimeSpan.FromSeconds(1),
            // Past the brokers' 6 s ZooKeeper session: the paused broker is declared dead and must rejoin.
            MinPause = TimeSpan.FromSeconds(7),
            MaxPause = TimeSpan.FromSeconds(8),
            HealTimeout = TimeSpan.FromSeconds(60),
            StepTimeout = TimeSpan.FromSeconds(45),
            EvidenceDirectory = null,
        };

        ClusterChaosResult result = await ClusterChaosLoop.RunAsync(options, output.WriteLine, timeout.Token);

        string why = $"seed {result.Seed}: {string.Join("\n", result.Problems)}";
        Assert.True(result.Passed, why);
        Assert.Equal(options.Rounds, result.RoundsCompleted);
        foreach (ChaosFault fault in faults)
        {
            Assert.Equal(1, result.FaultCount(fault));
        }

        Assert.True(result.Acknowledged > 0 && result.AcknowledgementsChecked >= result.Acknowledged, $"nothing was checked: {ClusterChaosLoop.Summary(result)}");
        Assert.True(result.CommitsChecked > 0, $"no committed offset was checked: {ClusterChaosLoop.Summary(result)}");
    }

    private static int FromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
}
