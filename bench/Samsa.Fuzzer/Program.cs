using System.Globalization;
using Samsa.Fuzzer;

// Samsa.Fuzzer [--seconds N] [--seed S] [--second-seed S2] [--connections C] [--max-rss-mb M]
// Fuzzes a fresh broker process for N seconds (bench/fuzz.sh builds and runs this); exit code 1 on any finding.
var options = new FuzzOptions { Seed = Random.Shared.Next() };
for (int i = 0; i < args.Length; i++)
{
    string? value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--seconds" when value is not null:
            options = options with { Duration = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)) };
            i++;
            break;
        case "--seed" when value is not null:
            options = options with { Seed = int.Parse(value, CultureInfo.InvariantCulture) };
            i++;
            break;
        case "--second-seed" when value is not null:
            options = options with { SecondSeed = int.Parse(value, CultureInfo.InvariantCulture) };
            i++;
            break;
        case "--connections" when value is not null:
            options = options with { Connections = int.Parse(value, CultureInfo.InvariantCulture) };
            i++;
            break;
        case "--max-rss-mb" when value is not null:
            options = options with { MaxRssBytes = long.Parse(value, CultureInfo.InvariantCulture) * 1024 * 1024 };
            i++;
            break;
        default:
            Console.Error.WriteLine("USAGE: fuzz.sh [--seconds N] [--seed S] [--second-seed S2] [--connections C] [--max-rss-mb M]");
            return 2;
    }
}

Console.WriteLine($"fuzz: seed {options.Seed} (rerun with --seed {options.Seed}), {options.Duration.TotalSeconds:F0} s");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
FuzzReport report = await FuzzRun.RunAsync(options, line => Console.WriteLine(line), cancel.Token);
Console.WriteLine(report);
return report.Passed ? 0 : 1;
