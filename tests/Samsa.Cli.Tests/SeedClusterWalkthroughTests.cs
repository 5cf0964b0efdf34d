using System.Text.RegularExpressions;
using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>
/// The seed's walkthrough on its three-broker cluster (a real three-node ZooKeeper ensemble and
/// three broker processes): create a topic with 3 partitions and replication factor 3, list and
/// describe it through any broker, produce and consume through different brokers, delete it — with
/// the bin scripts and Kafka's flags, checking what they print.
/// </summary>
public sealed partial class SeedClusterWalkthroughTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public async Task The_seed_steps_work_on_a_three_broker_cluster()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using KafkaCluster cluster = await KafkaCluster.StartAsync(cancellationToken: timeout.Token);
        await cluster.RunAsync(async () =>
        {
            string b1 = cluster.Broker(1).BootstrapServers;
            string b2 = cluster.Broker(2).BootstrapServers;
            string b3 = cluster.Broker(3).BootstrapServers;

            var created = await ScriptRun.RunAsync("kafka-topics.sh", NoEnvironment, "--create", "--topic", "my-kafka-topic", "--bootstrap-server", b1, "--replication-factor", "3", "--partitions", "3");
            Assert.Equal((0, "Created topic my-kafka-topic.\n"), (created.ExitCode, created.Stdout));

            var listed = await ScriptRun.RunAsync("kafka-topics.sh", NoEnvironment, "--list", "--bootstrap-server", b2);
            Assert.Equal((0, "my-kafka-topic\n"), (listed.ExitCode, listed.Stdout));

            // Leaders spread over the three brokers, each the first of its replicas, and every replica in sync.
            string[] lines = [];
            bool settled = false;
            for (var clock = System.Diagnostics.Stopwatch.StartNew(); !settled && clock.Elapsed < TimeSpan.FromSeconds(60);)
            {
                var described = await ScriptRun.RunAsync("kafka-topics.sh", NoEnvironment, "--describe", "--topic", "my-kafka-topic", "--bootstrap-server", b3);
                Assert.Equal(0, described.ExitCode);
                lines = described.Stdout.TrimEnd('\n').Split('\n');
                settled = lines.Length == 4 && lines.Skip(1).All(l => PartitionLine().Match(l) is { Success: true } m && m.Groups["isr"].Value.Split(',').Length == 3);
                if (!settled)
                {
                    await Task.Delay(500, timeout.Token);
                }
            }

            Assert.True(settled, "describe never showed an Isr of 3 for every partition:\n" + string.Join('\n', lines));
            Assert.Matches(@"^Topic: my-kafka-topic\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: segment\.bytes=1073741824$", lines[0]);
            var leaders = new List<int>();
            for (int p = 0; p < 3; p++)
            {
                Match m = PartitionLine().Match(lines[p + 1]);
                Assert.Equal(p, int.Parse(m.Groups["partition"].Value, System.Globalization.CultureInfo.InvariantCulture));
                string[] replicas = m.Groups["replicas"].Value.Split(',');
                Assert.Equal(3, replicas.Distinct(StringComparer.Ordinal).Count());
                Assert.Equal(replicas[0], m.Groups["leader"].Value);
                Assert.Equal(replicas.Order(StringComparer.Ordinal), m.Groups["isr"].Value.Split(',').Order(StringComparer.Ordinal));
                leaders.Add(int.Parse(m.Groups["leader"].Value, System.Globalization.CultureInfo.InvariantCulture));
            }

            Assert.Equal([1, 2, 3], leaders.Order());

            // Two terminals: a producer on one broker, a consumer on another.
            var produced = await ToolRun.RunAsync("kafka-console-producer", "hello\nkafka\ncluster\n", "--topic", "my-kafka-topic", "--bootstrap-server", b2);
            Assert.Equal((0, ""), (produced.ExitCode, produced.Stdout));
            var consumed = await ToolRun.RunAsync("kafka-console-consumer", null, "--topic", "my-kafka-topic", "--from-beginning", "--bootstrap-server", b3, "--max-messages", "3");
            Assert.Equal(0, consumed.ExitCode);
            Assert.Equal(["cluster", "hello", "kafka"], consumed.Stdout.TrimEnd('\n').Split('\n').Order(StringComparer.Ordinal));
            Assert.Contains("Processed a total of 3 messages", consumed.Stderr, StringComparison.Ordinal);

            var deleted = await ScriptRun.RunAsync("kafka-topics.sh", NoEnvironment, "--delete", "--topic", "my-kafka-topic", "--bootstrap-server", b1);
            Assert.Equal((0, ""), (deleted.ExitCode, deleted.Stdout));
            Assert.True(
                await Polling.TryUntilAsync(() => !ListTopics(b3).Contains("my-kafka-topic", StringComparer.Ordinal), TimeSpan.FromSeconds(30)),
                "the deleted topic is still listed by broker 3");
        });
    }

    private static string[] ListTopics(string bootstrap)
    {
        var listed = ScriptRun.RunAsync("kafka-topics.sh", NoEnvironment, "--list", "--bootstrap-server", bootstrap).GetAwaiter().GetResult();
        return listed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [GeneratedRegex(@"^\tTopic: my-kafka-topic\tPartition: (?<partition>\d+)\tLeader: (?<leader>\d+)\tReplicas: (?<replicas>[\d,]+)\tIsr: (?<isr>[\d,]+)$")]
    private static partial Regex PartitionLine();
}
