using System.Globalization;
using Samsa.CrashLoop;

// bench/crash-loop.sh --seed S --rounds N [--producers P] [--partitions N] [--rate MSG_PER_S] [--evidence DIR]
// bench/chaos.sh (runs "cluster" + the same options) --seed S --rounds N [...] [--max-pause SECONDS] [--faults KIND,KIND]
// Exit status: 0 passed, 1 a problem was found (printed with the seed), 2 bad arguments.
bool clusterMode = args.Length > 0 && args[0] == "cluster";
var values = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = clusterMode ? 1 : 0; i < args.Length; i++)
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

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

if (clusterMode)
{
    return await RunChaosAsync();
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

async Task<int> RunChaosAsync()
{
    ClusterChaosOptions chaos;
    try
    {
        var defaults = new ClusterChaosOptions();
        chaos = new ClusterChaosOptions
        {
            Seed = Number("seed", Random.Shared.Next()),
            Rounds = Number("rounds", defaults.Rounds),
            Producers = Number("producers", defaults.Producers),
            Partitions = Number("partitions", defaults.Partitions),
            MessagesPerSecond = Number("rate", defaults.MessagesPerSecond),
            MaxPause = TimeSpan.FromSeconds(Number("max-pause", (int)defaults.MaxPause.TotalSeconds)),
            Faults = values.Remove("faults", out string? kinds) ? ParseFaults(kinds) : defaults.Faults,
            EvidenceDirectory = values.Remove("evidence", out string? evidence) ? Path.GetFullPath(evidence) : Path.GetTempPath(),
        };
    }
    catch (FormatException e)
    {
        return ChaosUsage(e.Message);
    }

    if (values.Count > 0)
    {
        return ChaosUsage($"unknown option --{string.Join(", --", values.Keys)}");
    }

    ClusterChaosResult outcome = await ClusterChaosLoop.RunAsync(chaos, line => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}"), cancel.Token);
    if (!outcome.Passed)
    {
        Console.WriteLine($"FAILED with seed {outcome.Seed}; rerun: bench/chaos.sh --seed {outcome.Seed} --rounds {chaos.Rounds}");
        foreach (string problem in outcome.Problems)
        {
            Console.WriteLine("  " + problem);
        }

        return 1;
    }

    return 0;
}

static ChaosFault[] ParseFaults(string text)
{
    string[] names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    var faults = new ChaosFault[names.Length];
    for (int i = 0; i < names.Length; i++)
    {
        if (!Enum.TryParse(names[i], ignoreCase: true, out faults[i]))
        {
            throw new FormatException($"unknown fault '{names[i]}' (known: {string.Join(", ", Enum.GetNames<ChaosFault>())})");
        }
    }

    return faults.Length > 0 ? faults : throw new FormatException("--faults names no fault");
}

static int ChaosUsage(string why)
{
    Console.Error.WriteLine($"chaos: {why}");
    Console.Error.WriteLine("usage: bench/chaos.sh --seed S --rounds N [--producers P] [--partitions N] [--rate MSG_PER_S] [--max-pause SECONDS] [--faults BrokerKill,BrokerPause,ZooKeeperKill,ZooKeeperPause,ControllerKill] [--evidence DIR]");
    return 2;
}

static int Usage(string why)
{
    Console.Error.WriteLine($"crash-loop: {why}");
    Console.Error.WriteLine("usage: bench/crash-loop.sh --seed S --rounds N [--producers P] [--partitions N] [--rate MSG_PER_S] [--evidence DIR]");
    return 2;
}
