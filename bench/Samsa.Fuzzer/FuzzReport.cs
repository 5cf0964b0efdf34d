using System.Globalization;
using System.Text;

namespace Samsa.Fuzzer;

/// <summary>The figures of one fuzzing run and what, if anything, went wrong.</summary>
public sealed class FuzzReport
{
    public required FuzzOptions Options { get; init; }

    public required FuzzStats Stats { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public required int CorpusFrames { get; init; }

    /// <summary>Frames encoded with Samsa.Protocol for APIs the captured clients did not use.</summary>
    public required int GeneratedFrames { get; init; }

    public required string CorpusApis { get; init; }

    public required long MaxRssBytes { get; init; }

    public required long StartRssBytes { get; init; }

    public required long MaxOpenFiles { get; init; }

    public required long EndRssBytes { get; init; }

    public required long BrokerWarnLines { get; init; }

    public required long BrokerInfoLines { get; init; }

    public required IReadOnlyList<string> BrokerWarnings { get; init; }

    public required long WellBehavedAcked { get; init; }

    public required long WellBehavedFailed { get; init; }

    public required long WellBehavedConsumed { get; init; }

    public required long WellBehavedMissing { get; init; }

    public required TimeSpan WellBehavedLongestStall { get; init; }

    public required IReadOnlyList<string> Failures { get; init; }

    public bool Passed => Failures.Count == 0;

    public override string ToString()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        string seeds = Options.SecondSeed is int second ? $"seeds {Options.Seed} and {second}" : $"seed {Options.Seed}";
        text.AppendLine(c, $"fuzz: {seeds}, {Elapsed.TotalSeconds:F0} s, {Options.Connections} connections at a time");
        text.AppendLine(c, $"corpus: {CorpusFrames} captured and {GeneratedFrames} generated frames: {CorpusApis}");
        text.AppendLine(c, $"requests sent: {Stats.TotalSent:N0}");
        foreach (MutationKind kind in Enum.GetValues<MutationKind>())
        {
            text.AppendLine(c, $"  {kind,-16} {Stats.Sent(kind),12:N0}");
        }

        text.AppendLine(c, $"connections: {Stats.Connections:N0} (pipelined rounds {Stats.PipelinedRounds:N0}, tiny-write rounds {Stats.TinyWriteRounds:N0}, connect failures {Stats.ConnectFailures:N0})");
        text.AppendLine(c, $"responses: {Stats.Responses:N0} (with an error code {Stats.ErrorResponses:N0}, undecodable {Stats.UndecodableResponses:N0}, unmatched {Stats.UnmatchedResponses:N0})");
        text.AppendLine(c, $"closed by the broker: {Stats.ClosedByBroker:N0}; rounds unanswered within 1 s: {Stats.Unanswered:N0}");
        text.AppendLine(c, $"broker RSS: start {Mib(StartRssBytes)}, max {Mib(MaxRssBytes)}, end {Mib(EndRssBytes)} (bound {Mib(Options.MaxRssBytes)})");
        text.AppendLine(c, $"broker open files (sockets, segments, indexes): at most {MaxOpenFiles:N0}");
        text.AppendLine(c, $"broker log: {BrokerInfoLines:N0} INFO, {BrokerWarnLines:N0} WARN");
        foreach (string warning in BrokerWarnings.Take(5))
        {
            text.AppendLine(c, $"  {warning}");
        }

        text.AppendLine(c, $"well-behaved client: {WellBehavedAcked:N0} acked, {WellBehavedFailed:N0} failed, {WellBehavedConsumed:N0} consumed by the group, {WellBehavedMissing:N0} acked but missing, longest stall {WellBehavedLongestStall.TotalSeconds:F1} s");
        text.AppendLine(Passed ? "result: PASSED" : "result: FAILED");
        foreach (string failure in Failures)
        {
            text.AppendLine(c, $"  - {failure}");
        }

        return text.ToString();
    }

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024)).ToString("F0", CultureInfo.InvariantCulture) + " MiB";
}
