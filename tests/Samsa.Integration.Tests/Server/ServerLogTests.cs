using System.Text.RegularExpressions;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Server;

/// <summary>
/// The broker's log is read by people and scripts that know Kafka's (kafka-server-start.sh -daemon
/// waits for "started"): every line in log4j's shape, and the last lines written out before exit.
/// </summary>
public sealed partial class ServerLogTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_line_has_Kafkas_shape_and_the_shutdown_lines_are_written_before_exit()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        Assert.Equal(0, await broker.StopAsync(timeout.Token));

        // BrokerProcess marks each launch with a "--- launching broker ... ---" line of its own.
        string[] lines = Array.FindAll(
            broker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            l => !l.StartsWith("--- ", StringComparison.Ordinal));
        Assert.NotEmpty(lines);
        foreach (string line in lines)
        {
            Assert.Matches(KafkaLine(), line);
        }

        int started = Array.FindIndex(lines, l => l.EndsWith("[KafkaServer id=0] started (kafka.server.KafkaServer)", StringComparison.Ordinal));
        int stopping = Array.FindIndex(lines, l => l.EndsWith("[KafkaServer id=0] shutting down (kafka.server.KafkaServer)", StringComparison.Ordinal));
        Assert.True(started >= 0 && stopping > started, broker.Output);
        Assert.EndsWith("[KafkaServer id=0] shut down completed (kafka.server.KafkaServer)", lines[^1], StringComparison.Ordinal);
    }

    // [yyyy-MM-dd HH:mm:ss,SSS] LEVEL message (category)
    [GeneratedRegex(@"^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) .+ \([^()]+\)$")]
    private static partial Regex KafkaLine();
}
