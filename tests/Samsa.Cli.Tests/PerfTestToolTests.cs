using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>
/// bin/kafka-producer-perf-test.sh and bin/kafka-consumer-perf-test.sh against one broker process:
/// Kafka's result lines, counts that match what the broker really holds and what the group
/// committed, throttling, the timeout warning, and argparse/joptsimple errors for bad flags.
/// Speed itself is never asserted here (docs/benchmarks.md has the measured figures).
/// </summary>
public sealed partial class PerfTestToolTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Produced_records_are_on_the_broker_and_consumed_with_kafkas_summary_lines()
    {
        const int records = 20_000;
        string b = fixture.BootstrapServers;
        var created = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", b, "--partitions", "2", "--topic", "perf-a");
        Assert.Equal(0, created.ExitCode);

        var produced = await ScriptRun.RunAsync("kafka-producer-perf-test.sh", new Dictionary<string, string>(),
            "--topic", "perf-a", "--num-records", "20000", "--record-size", "100", "--throughput", "-1",
            "--producer-props", "bootstrap.servers=" + b, "acks=1", "linger.ms=2");
        Assert.True(produced.ExitCode == 0, produced.Stdout + produced.Stderr);
        Assert.DoesNotContain('\r', produced.Stdout + produced.Stderr); // no live status line when redirected
        string[] producerLines = Lines(produced.Stdout);
        foreach (string window in producerLines[..^1])
        {
            Assert.Matches(WindowLine(), window);
        }

        Match total = TotalLine().Match(producerLines[^1]);
        Assert.True(total.Success, producerLines[^1]);
        Assert.Equal(records, Int(total, "count"));
        double recordsPerSec = Double(total, "rate");
        Assert.Equal(recordsPerSec * 100 / (1024 * 1024), Double(total, "mb"), 0.01);
        int[] percentiles = [Int(total, "p50"), Int(total, "p95"), Int(total, "p99"), Int(total, "p999")];
        Assert.Equal(percentiles.Order(), percentiles);
        Assert.True(percentiles[3] <= Double(total, "max"), producerLines[^1]);
        Assert.Equal(records, HighWatermarkSum(b, "perf-a", 2));

        var consumed = await ScriptRun.RunAsync("kafka-consumer-perf-test.sh", new Dictionary<string, string>(),
            "--bootstrap-server", b, "--topic", "perf-a", "--messages", "20000", "--group", "perf-group-a");
        Assert.True(consumed.ExitCode == 0, consumed.Stdout + consumed.Stderr);
        string[] consumerLines = Lines(consumed.Stdout);
        Assert.Equal(2, consumerLines.Length);
        Assert.Equal("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec", consumerLines[0]);
        Match summary = SummaryLine().Match(consumerLines[1]);
        Assert.True(summary.Success, consumerLines[1]);
        Assert.Equal("1.9073", summary.Groups["mb"].Value); // 20,000 x 100 B in MiB
        Assert.Equal(records, Int(summary, "count"));
        Assert.True(DateTime.ParseExact(summary.Groups["start"].Value, "yyyy-MM-dd HH:mm:ss:fff", CultureInfo.InvariantCulture)
            <= DateTime.ParseExact(summary.Groups["end"].Value, "yyyy-MM-dd HH:mm:ss:fff", CultureInfo.InvariantCulture));

        // Kafka's tool closes its consumer, which commits where it stopped.
        Assert.Equal(records, CommittedSum(b, "perf-group-a", "perf-a", 2));
    }

    [Fact]
    public async Task Throughput_caps_the_rate_and_detailed_stats_print_a_line_per_interval()
    {
        string b = fixture.BootstrapServers;
        var produced = await ScriptRun.RunAsync("kafka-producer-perf-test.sh", new Dictionary<string, string>(),
            "--topic", "perf-throttled", "--num-records", "3000", "--payload-monotonic", "--throughput", "2000",
            "--producer-props", "bootstrap.servers=" + b);
        Assert.True(produced.ExitCode == 0, produced.Stdout + produced.Stderr);
        Match total = TotalLine().Match(Lines(produced.Stdout)[^1]);
        Assert.True(total.Success, produced.Stdout);
        Assert.Equal(3000, Int(total, "count"));
        Assert.True(Double(total, "rate") < 2000 * 1.15, produced.Stdout); // 3,000 records at 2,000/s take 1.5 s at least
        Assert.Equal(3000, HighWatermarkSum(b, "perf-throttled", 1));

        var consumed = await ScriptRun.RunAsync("kafka-consumer-perf-test.sh", new Dictionary<string, string>(),
            "--bootstrap-server", b, "--topic", "perf-throttled", "--messages", "3000", "--show-detailed-stats", "--reporting-interval", "1");
        Assert.True(consumed.ExitCode == 0, consumed.Stdout + consumed.Stderr);
        string[] lines = Lines(consumed.Stdout);
        Assert.Equal("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec", lines[0]);
        Assert.True(lines.Length >= 2, consumed.Stdout);
        long previous = 0;
        foreach (string line in lines[1..])
        {
            Match detail = DetailLine().Match(line);
            Assert.True(detail.Success, line);
            long count = long.Parse(detail.Groups["count"].Value, CultureInfo.InvariantCulture);
            Assert.True(count > previous && count <= 3000, line);
            previous = count;
        }
    }

    [Fact]
    public async Task Warmup_records_are_left_out_of_a_last_steady_state_line()
    {
        string b = fixture.BootstrapServers;
        var produced = await ToolRun.RunAsync("kafka-producer-perf-test", null,
            "--topic", "perf-warmup", "--num-records", "3000", "--record-size", "50", "--throughput", "-1",
            "--warmup-records", "1000", "--producer-props", "bootstrap.servers=" + b, "linger.ms=1");
        Assert.True(produced.ExitCode == 0, produced.Stdout + produced.Stderr);
        string[] lines = Lines(produced.Stdout);
        Assert.Equal("Warmup first 1000 records. Steady state results will print after the complete test summary.", lines[0]);
        Match total = TotalLine().Match(lines[^2]);
        Assert.True(total.Success, produced.Stdout);
        Assert.Equal(3000, Int(total, "count"));
        Match steady = SteadyStateLine().Match(lines[^1]);
        Assert.True(steady.Success, produced.Stdout);
        Assert.Equal(2000, Int(steady, "count"));
        Assert.True(Double(steady, "max") <= Double(total, "max"), produced.Stdout);
        Assert.Equal(3000, HighWatermarkSum(b, "perf-warmup", 1));
    }

    [Fact]
    public async Task A_producer_config_file_sets_up_the_client_and_print_metrics_prints_its_statistics()
    {
        string b = fixture.BootstrapServers;
        using var dir = new TempDirectory();
        string config = dir.Combine("producer.properties");
        await File.WriteAllTextAsync(config, $"bootstrap.servers={b}\nacks=all\nclient.id=perf-config-client\n");

        var produced = await ToolRun.RunAsync("kafka-producer-perf-test", null,
            "--topic", "perf-config", "--num-records", "500", "--record-size", "100", "--throughput", "-1",
            "--producer.config", config, "--print-metrics");
        Assert.True(produced.ExitCode == 0, produced.Stdout + produced.Stderr);
        string[] lines = Lines(produced.Stdout);
        Match total = TotalLine().Match(Array.Find(lines, l => l.StartsWith("500 records sent", StringComparison.Ordinal)) ?? "");
        Assert.True(total.Success, produced.Stdout);
        Assert.Equal(500, HighWatermarkSum(b, "perf-config", 1));

        // Kafka's metrics table after the results: the file's client.id names the client, and the
        // client's own count of the records it sent is there.
        int header = Array.FindIndex(lines, l => l.StartsWith("Metric Name", StringComparison.Ordinal));
        Assert.True(header > 0, produced.Stdout);
        Assert.Matches(@"^Metric Name\s+Value$", lines[header]);
        Assert.Contains(lines[header..], l => Regex.IsMatch(l, @"^producer-metrics:txmsgs:\{client-id=perf-config-client\}\s+: 500\.000$"));
        Assert.Contains(lines[header..], l => l.StartsWith("producer-node-metrics:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fetch_size_bounds_what_each_fetch_brings()
    {
        string b = fixture.BootstrapServers;

        // About one record of 1,000 B per batch, so a fetch of at most 2,048 B brings one batch.
        var produced = await ToolRun.RunAsync("kafka-producer-perf-test", null,
            "--topic", "perf-fetch-size", "--num-records", "400", "--record-size", "1000", "--throughput", "-1",
            "--producer-props", "bootstrap.servers=" + b, "linger.ms=0", "batch.size=1100");
        Assert.True(produced.ExitCode == 0, produced.Stdout + produced.Stderr);

        long small = await FetchRequestsAsync(b, "2048");
        long normal = await FetchRequestsAsync(b, null);
        Assert.True(small >= 5 * normal, $"requests to the broker: {small} with --fetch-size 2048, {normal} with the default");

        static async Task<long> FetchRequestsAsync(string bootstrap, string? fetchSize)
        {
            string[] args = ["--bootstrap-server", bootstrap, "--topic", "perf-fetch-size", "--messages", "400", "--print-metrics"];
            var consumed = await ToolRun.RunAsync("kafka-consumer-perf-test", null, fetchSize is null ? args : [.. args, "--fetch-size", fetchSize]);
            Assert.True(consumed.ExitCode == 0, consumed.Stdout + consumed.Stderr);
            Match summary = SummaryLine().Match(Lines(consumed.Stdout)[1]);
            Assert.True(summary.Success, consumed.Stdout);
            Assert.Equal(400, Int(summary, "count"));

            // librdkafka's count of requests sent to each broker connection ("tx").
            long requests = 0;
            foreach (string line in Lines(consumed.Stdout))
            {
                Match tx = Regex.Match(line, @"^consumer-node-metrics:tx:\{[^}]*\}\s+: (?<n>\d+)\.000$");
                requests += tx.Success ? long.Parse(tx.Groups["n"].Value, CultureInfo.InvariantCulture) : 0;
            }

            Assert.True(requests > 0, consumed.Stdout);
            return requests;
        }
    }

    [Fact]
    public async Task On_a_terminal_a_live_status_line_is_redrawn_and_erased_before_each_result_line()
    {
        string b = fixture.BootstrapServers;

        // 3,000 records at 2,000/s: 1.5 s, so the status line (every 0.5 s) shows at least twice.
        var run = await ToolRun.RunOnTerminalAsync("kafka-producer-perf-test",
            "--topic", "perf-terminal", "--num-records", "3000", "--record-size", "100", "--throughput", "2000",
            "--producer-props", "bootstrap.servers=" + b);
        Assert.True(run.ExitCode == 0, run.Screen);
        Assert.True(StatusLine().Count(run.Screen) >= 2, run.Screen);

        // The result line starts on a line of its own (the status line erased, or after a window
        // line when a slow run printed one just before) and stands alone, as in Kafka's output.
        Assert.Matches(@"(\r\u001b\[K|\r\n)3000 records sent, [^\r\n]* ms 99\.9th\.\r\n", run.Screen);
        Assert.Equal(3000, HighWatermarkSum(b, "perf-terminal", 1));
    }

    [Fact]
    public async Task The_consumer_warns_and_stops_when_no_record_comes_within_the_timeout()
    {
        string b = fixture.BootstrapServers;
        var created = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", b, "--topic", "perf-empty");
        Assert.Equal(0, created.ExitCode);

        var consumed = await ToolRun.RunAsync("kafka-consumer-perf-test", null,
            "--bootstrap-server", b, "--topic", "perf-empty", "--messages", "10", "--timeout", "1500");
        Assert.True(consumed.ExitCode == 0, consumed.Stdout + consumed.Stderr);
        string[] lines = Lines(consumed.Stdout);
        Assert.Equal(3, lines.Length);
        Assert.Equal("WARNING: Exiting before consuming the expected number of messages: timeout (1500 ms) exceeded. You can use the --timeout option to increase the timeout.", lines[1]);
        Match summary = SummaryLine().Match(lines[2]);
        Assert.True(summary.Success, lines[2]);
        Assert.Equal(0, Int(summary, "count"));
    }

    [Theory]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records 10 --throughput -1 --producer-props bootstrap.servers={b}", "producer-performance: error: one of the arguments --record-size --payload-file --payload-monotonic is required")]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records 10 --record-size 10 --payload-monotonic --throughput -1 --producer-props bootstrap.servers={b}", "producer-performance: error: argument --payload-monotonic: not allowed with argument --record-size")]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records ten --record-size 10 --throughput -1 --producer-props bootstrap.servers={b}", "producer-performance: error: argument --num-records: could not convert 'ten' to Long (For input string: \"ten\")")]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records 10 --record-size 10 --throughput -1 --bogus 1 --producer-props bootstrap.servers={b}", "producer-performance: error: unrecognized arguments: '--bogus'")]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records 10 --record-size 10 --producer-props bootstrap.servers={b}", "producer-performance: error: argument --throughput is required")]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records 10 --record-size 10 --throughput -1", "producer-performance: error: Either --producer-props or --producer.config must be specified.")]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records 0 --record-size 10 --throughput -1 --producer-props bootstrap.servers={b}", "producer-performance: error: --num-records should be greater than zero")]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records 10 --warmup-records 10 --record-size 10 --throughput -1 --producer-props bootstrap.servers={b}", "producer-performance: error: The value for --warmup-records must be strictly fewer than the number of records in the test, --num-records.")]
    [InlineData("kafka-producer-perf-test", "--topic t --num-records 10 --record-size 10 --throughput -1 --producer-props acks=1", "Exception in thread \"main\" org.apache.kafka.common.config.ConfigException: Missing required configuration \"bootstrap.servers\" which has no default value.")]
    [InlineData("kafka-consumer-perf-test", "--bootstrap-server {b} --topic t", "Missing required argument \"[messages]\"")]
    [InlineData("kafka-consumer-perf-test", "--bootstrap-server {b} --topic t --messages many", "Cannot parse argument 'many' of option messages")]
    [InlineData("kafka-consumer-perf-test", "--bootstrap-server {b} --topic t --messages 5 --reporting-interval 0", "Reporting interval must be greater than 0.")]
    [InlineData("kafka-consumer-perf-test", "--bootstrap-server {b} --topic t --messages 5 --bogus", "bogus is not a recognized option")]
    public async Task Bad_command_lines_fail_with_one_message(string tool, string args, string message)
    {
        var run = await ToolRun.RunAsync(tool, null, args.Replace("{b}", fixture.BootstrapServers, StringComparison.Ordinal).Split(' '));
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.Contains(message + "\n", run.Stderr, StringComparison.Ordinal);
        if (message.StartsWith("producer-performance: error:", StringComparison.Ordinal))
        {
            // argparse prints its usage line first, then the error.
            Assert.StartsWith("usage: producer-performance [-h] --topic TOPIC", run.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_describes_the_flags()
    {
        var producer = await ToolRun.RunAsync("kafka-producer-perf-test", null, "--help");
        Assert.Equal(0, producer.ExitCode); // argparse4j's help exits 0
        Assert.StartsWith("usage: producer-performance", producer.Stdout, StringComparison.Ordinal);
        Assert.Contains("--producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]", producer.Stdout, StringComparison.Ordinal);

        var consumer = await ToolRun.RunAsync("kafka-consumer-perf-test", null, "--help");
        Assert.Equal(1, consumer.ExitCode); // joptsimple tools: printUsageAndDie
        Assert.Contains("--show-detailed-stats", consumer.Stderr, StringComparison.Ordinal);
    }

    private static string[] Lines(string text) => text.TrimEnd('\n').Split('\n');

    private static int Int(Match match, string group) => int.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    private static double Double(Match match, string group) => double.Parse(match.Groups[group].Value, CultureInfo.InvariantCulture);

    private static long HighWatermarkSum(string bootstrap, string topic, int partitions)
    {
        using IConsumer<Ignore, Ignore> consumer = new ConsumerBuilder<Ignore, Ignore>(
            new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "perf-test-watermarks" }).Build();
        long sum = 0;
        for (int p = 0; p < partitions; p++)
        {
            sum += consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), QueryTimeout).High.Value;
        }

        return sum;
    }

    private static long CommittedSum(string bootstrap, string group, string topic, int partitions)
    {
        using IConsumer<Ignore, Ignore> consumer = new ConsumerBuilder<Ignore, Ignore>(
            new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group }).Build();
        var wanted = new List<TopicPartition>();
        for (int p = 0; p < partitions; p++)
        {
            wanted.Add(new TopicPartition(topic, p));
        }

        long sum = 0;
        foreach (TopicPartitionOffset committed in consumer.Committed(wanted, QueryTimeout))
        {
            sum += committed.Offset.Value;
        }

        return sum;
    }

    [GeneratedRegex(@"\r\d+ sent, \d+ acknowledged \(\d+\.\d%\), \d+ records/sec\u001b\[K")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^\d+ records sent, \d+\.\d records/sec \(\d+\.\d\d MB/sec\), \d+\.\d ms avg latency, \d+\.\d ms max latency\.$")]
    private static partial Regex WindowLine();

    [GeneratedRegex(@"^(?<count>\d+) records sent, (?<rate>\d+\.\d{6}) records/sec \((?<mb>\d+\.\d\d) MB/sec\), \d+\.\d\d ms avg latency, (?<max>\d+\.\d\d) ms max latency, (?<p50>\d+) ms 50th, (?<p95>\d+) ms 95th, (?<p99>\d+) ms 99th, (?<p999>\d+) ms 99\.9th\.$")]
    private static partial Regex TotalLine();

    [GeneratedRegex(@"^(?<count>\d+) steady state records sent, \d+\.\d{6} records/sec \(\d+\.\d\d MB/sec\), \d+\.\d\d ms avg latency, (?<max>\d+\.\d\d) ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$")]
    private static partial Regex SteadyStateLine();

    [GeneratedRegex(@"^(?<start>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}), (?<end>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}), (?<mb>\d+\.\d{4}), \d+\.\d{4}, (?<count>\d+), \d+\.\d{4}, \d+, \d+, \d+\.\d{4}, \d+\.\d{4}$")]
    private static partial Regex SummaryLine();

    [GeneratedRegex(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, 0, \d+\.\d{4}, \d+\.\d{4}, (?<count>\d+), \d+\.\d{4}, \d+, -?\d+, -?\d+\.\d{4}, -?\d+\.\d{4}$")]
    private static partial Regex DetailLine();
}
