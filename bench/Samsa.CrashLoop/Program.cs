using System.Globalization;
using Samsa.CrashLoop;

// bench/crash-loop.sh --seed S --rounds N [--producers P] [--partitions N] [--rate MSG_PER_S] [--evidence DIR]
// Exit status: 0 passed, 1 a problem was found (printed with the seed), 2 bad arguments.
var values = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        return Usage($"unexpected argument '{args[i]}'");
    }

    values[args[i][2..]] = args[++i];
}

int Number(string name, int fallback)
{
    return values.Remove(name, out string? text) ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;
}

CrashLoopOptions options;
try
{
    options = new CrashLoopOptions
    {
        Seed = Number("seed", Random.Shared.Next()),
        Rounds = Number("rounds", 50),
        Producers = Number("producers", 2),
        Partitions = Number("partitions", 3),
        MessagesPerSecond = Number("rate", 1000),
        EvidenceDirectory = values.Remove("evidence", out string? evidence) ? Path.GetFullPath(evidence) : Path.GetTempPath(),
    };
}
catch (FormatException e)
{
    return Usage(e.Message);
}

if (values.Count > 0)
{
    return Usage($"unknown option --{string.Join(", --", values.Keys)}");
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

CrashLoopResult result = await BrokerCrashLoop.RunAsync(options, line => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}"), cancel.Token);
if (!result.Passed)
{
    Console.WriteLine($"FAILED with seed {result.Seed}; rerun: bench/crash-loop.sh --seed {result.Seed} --rounds {options.Rounds}");
    foreach (string problem in result.Problems)
    {
        Console.WriteLine("  " + problem);
    }

    return 1;
}

return 0;

static int Usage(string why)
{
    Console.Error.WriteLine($"crash-loop: {why}");
    Console.Error.WriteLine("usage: bench/crash-loop.sh --seed S --rounds N [--producers P] [--partitions N] [--rate MSG_PER_S] [--evidence DIR]");
    return 2;
}
