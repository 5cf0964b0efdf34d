using System.Globalization;
using System.Text;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Tools;

/// <summary>
/// The command line of kafka-producer-perf-test.sh. Kafka's ProducerPerformance parses with
/// argparse4j, not joptsimple like the other tools, so this follows argparse's rules and wording:
/// "--name value" or "--name=value", unique prefixes, --producer-props taking every following word
/// up to the next flag, exactly one of --record-size / --payload-file / --payload-monotonic, and
/// errors printed as the usage line then "producer-performance: error: ...". A bare command or
/// -h/--help prints the help on stdout and exits 0, as argparse4j does.
/// </summary>
internal sealed class ProducerPerformanceArguments
{
    private const string Program = "producer-performance";
    private const int Width = 80;

    private static readonly Argument[] Arguments =
    [
        new("topic", "TOPIC", "produce messages to this topic", Kind.Value, Required: true),
        new("num-records", "NUM-RECORDS", "number of messages to produce", Kind.Value, Required: true),
        new("record-size", "RECORD-SIZE", "message size in bytes. Note that you must provide exactly one of --record-size or --payload-file or --payload-monotonic.", Kind.Value, Exclusive: true),
        new("payload-file", "PAYLOAD-FILE", "file to read the message payloads from. This works only for UTF-8 encoded text files. Payloads will be read from this file and a payload will be randomly selected when sending messages. Note that you must provide exactly one of --record-size or --payload-file or --payload-monotonic.", Kind.Value, Exclusive: true),
        new("payload-monotonic", "PAYLOAD-MONOTONIC", "payload is monotonically increasing integer. Note that you must provide exactly one of --record-size or --payload-file or --payload-monotonic. (default: false)", Kind.Flag, Exclusive: true),
        new("payload-delimiter", "PAYLOAD-DELIMITER", "provides delimiter to be used when --payload-file is provided. Defaults to new line. Note that this parameter will be ignored if --payload-file is not provided. (default: \\n)", Kind.Value),
        new("throughput", "THROUGHPUT", "throttle maximum message throughput to *approximately* THROUGHPUT messages/sec. Set this to -1 to disable throttling.", Kind.Value, Required: true),
        new("producer-props", "PROP-NAME=PROP-VALUE", "kafka producer related configuration properties like bootstrap.servers,client.id etc. These configs take precedence over those passed via --producer.config.", Kind.Many),
        new("producer.config", "CONFIG-FILE", "producer config properties file.", Kind.Value),
        new("print-metrics", "PRINT-METRICS", "print out metrics at the end of the test. (default: false)", Kind.Flag),
        // Kafka 4.x's option (KIP-1052): a separate summary of the records after the warm-up.
        new("warmup-records", "WARMUP-RECORDS", "The number of records to treat as warmup; these initial records will not be included in steady-state statistics. An additional summary line will be printed describing the steady-state statistics. (default: 0)", Kind.Value),
    ];

    private ProducerPerformanceArguments()
    {
    }

    private enum Kind
    {
        Flag,
        Value,
        Many,
    }

    public string Topic { get; private set; } = "";

    public long NumRecords { get; private set; }

    public int? RecordSize { get; private set; }

    public string? PayloadFile { get; private set; }

    /// <summary>A Java regular expression in Kafka (Scanner.useDelimiter); a .NET one here.</summary>
    public string PayloadDelimiter { get; private set; } = "\n";

    public bool PayloadMonotonic { get; private set; }

    /// <summary>Records per second; negative means unthrottled.</summary>
    public double Throughput { get; private set; }

    /// <summary>key=value words of --producer-props, in order (null when the flag is absent).</summary>
    public IReadOnlyList<string>? ProducerProps { get; private set; }

    public string? ProducerConfigFile { get; private set; }

    public bool PrintMetrics { get; private set; }

    /// <summary>Records sent first and left out of the steady-state summary (0: none, no such line).</summary>
    public long WarmupRecords { get; private set; }

    /// <summary>True when the command asked for the help (printed already); the tool exits 0.</summary>
    public bool HelpShown { get; private set; }

    /// <summary>Parses or throws a <see cref="UsageException"/> carrying argparse's error text.</summary>
    public static ProducerPerformanceArguments Parse(IReadOnlyList<string> args)
    {
        var result = new ProducerPerformanceArguments();
        if (args.Count == 0 || HasHelp(args))
        {
            Console.Out.Write(Help());
            Console.Out.Flush();
            result.HelpShown = true;
            return result;
        }

        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string? exclusiveSeen = null;
        for (int i = 0; i < args.Count; i++)
        {
            string word = args[i];
            if (!word.StartsWith("--", StringComparison.Ordinal) || word.Length == 2)
            {
                throw Error($"unrecognized arguments: '{word}'");
            }

            string body = word[2..];
            string? inline = null;
            int equals = body.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                inline = body[(equals + 1)..];
                body = body[..equals];
            }

            Argument argument = Find(body) ?? throw Error($"unrecognized arguments: '{word}'");
            if (argument.Exclusive)
            {
                if (exclusiveSeen is not null && exclusiveSeen != argument.Name)
                {
                    throw Error($"argument --{argument.Name}: not allowed with argument --{exclusiveSeen}");
                }

                exclusiveSeen = argument.Name;
            }

            var taken = new List<string>();
            switch (argument.Kind)
            {
                case Kind.Flag:
                    if (inline is not null)
                    {
                        throw Error($"argument --{argument.Name}: ignored explicit argument '{inline}'");
                    }

                    break;
                case Kind.Value:
                    if (inline is not null)
                    {
                        taken.Add(inline);
                    }
                    else if (i + 1 < args.Count && !LooksLikeFlag(args[i + 1]))
                    {
                        taken.Add(args[++i]);
                    }
                    else
                    {
                        throw Error($"argument --{argument.Name}: expected one argument");
                    }

                    break;
                case Kind.Many:
                    if (inline is not null)
                    {
                        taken.Add(inline);
                    }

                    while (i + 1 < args.Count && !LooksLikeFlag(args[i + 1]))
                    {
                        taken.Add(args[++i]);
                    }

                    if (taken.Count == 0)
                    {
                        throw Error($"argument --{argument.Name}: expected at least one argument");
                    }

                    break;
            }

            if (argument.Kind == Kind.Many && values.TryGetValue(argument.Name, out List<string>? earlier))
            {
                earlier.AddRange(taken); // repeated --producer-props add up rather than replace
            }
            else
            {
                values[argument.Name] = taken;
            }
        }

        foreach (Argument argument in Arguments)
        {
            if (argument.Required && !values.ContainsKey(argument.Name))
            {
                throw Error($"argument --{argument.Name} is required");
            }
        }

        if (exclusiveSeen is null)
        {
            throw Error("one of the arguments --record-size --payload-file --payload-monotonic is required");
        }

        result.Topic = values["topic"][0];
        result.NumRecords = ParseLong(values, "num-records");
        result.Throughput = ParseDouble(values, "throughput");
        if (values.ContainsKey("record-size"))
        {
            result.RecordSize = ParseInt(values, "record-size");
        }

        result.PayloadFile = Last(values, "payload-file");
        result.PayloadMonotonic = values.ContainsKey("payload-monotonic");
        string delimiter = Last(values, "payload-delimiter") ?? "\\n";
        // The help shows the default as "\n"; Kafka swaps that text for a real newline.
        result.PayloadDelimiter = delimiter == "\\n" ? "\n" : delimiter;
        result.ProducerProps = values.TryGetValue("producer-props", out List<string>? props) ? props : null;
        result.ProducerConfigFile = Last(values, "producer.config");
        result.PrintMetrics = values.ContainsKey("print-metrics");
        result.WarmupRecords = values.ContainsKey("warmup-records") ? Math.Max(ParseLong(values, "warmup-records"), 0) : 0;

        if (result.NumRecords <= 0)
        {
            throw Error("--num-records should be greater than zero");
        }

        if (result.WarmupRecords >= result.NumRecords)
        {
            throw Error("The value for --warmup-records must be strictly fewer than the number of records in the test, --num-records.");
        }

        if (result.RecordSize is <= 0)
        {
            throw Error("--record-size should be greater than zero");
        }

        if (result.ProducerProps is null && result.ProducerConfigFile is null)
        {
            throw Error("Either --producer-props or --producer.config must be specified.");
        }

        return result;
    }

    /// <summary>argparse's handleError: the usage line, then "prog: error: message" (stderr, exit 1).</summary>
    private static UsageException Error(string message) => new(Usage() + $"{Program}: error: {message}");

    private static bool HasHelp(IReadOnlyList<string> args)
    {
        foreach (string arg in args)
        {
            if (arg == "-h" || (arg.Length > 2 && arg.StartsWith("--", StringComparison.Ordinal) && "--help".StartsWith(arg, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>argparse takes "-1" as a value (a negative number), anything else with a dash as a flag.</summary>
    private static bool LooksLikeFlag(string word) =>
        word.Length > 1 && word[0] == '-' && !double.TryParse(word, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static Argument? Find(string name)
    {
        Argument? match = null;
        foreach (Argument argument in Arguments)
        {
            if (argument.Name == name)
            {
                return argument;
            }

            if (name.Length > 0 && argument.Name.StartsWith(name, StringComparison.Ordinal))
            {
                if (match is not null)
                {
                    throw Error($"ambiguous option: --{name} could match --{match.Name}, --{argument.Name}");
                }

                match = argument;
            }
        }

        return match;
    }

    private static string? Last(Dictionary<string, List<string>> values, string name) =>
        values.TryGetValue(name, out List<string>? list) && list.Count > 0 ? list[^1] : null;

    private static long ParseLong(Dictionary<string, List<string>> values, string name)
    {
        string text = Last(values, name)!;
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw Error($"argument --{name}: could not convert '{text}' to Long (For input string: \"{text}\")");
    }

    private static int ParseInt(Dictionary<string, List<string>> values, string name)
    {
        string text = Last(values, name)!;
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw Error($"argument --{name}: could not convert '{text}' to Integer (For input string: \"{text}\")");
    }

    private static double ParseDouble(Dictionary<string, List<string>> values, string name)
    {
        string text = Last(values, name)!;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw Error($"argument --{name}: could not convert '{text}' to Double (For input string: \"{text}\")");
    }

    /// <summary>"usage: producer-performance [-h] --topic TOPIC ...", wrapped under the program name.</summary>
    private static string Usage()
    {
        string[] parts =
        [
            "[-h]", "--topic TOPIC", "--num-records NUM-RECORDS",
            "(--record-size RECORD-SIZE | --payload-file PAYLOAD-FILE | --payload-monotonic)",
            "[--payload-delimiter PAYLOAD-DELIMITER]", "--throughput THROUGHPUT",
            "[--producer-props PROP-NAME=PROP-VALUE [PROP-NAME=PROP-VALUE ...]]",
            "[--producer.config CONFIG-FILE]", "[--print-metrics]", "[--warmup-records WARMUP-RECORDS]",
        ];
        string prefix = "usage: " + Program + " ";
        var text = new StringBuilder(prefix);
        int column = prefix.Length;
        for (int i = 0; i < parts.Length; i++)
        {
            if (i > 0 && column + 1 + parts[i].Length > Width)
            {
                text.Append('\n').Append(' ', prefix.Length);
                column = prefix.Length;
            }
            else if (i > 0)
            {
                text.Append(' ');
                column++;
            }

            text.Append(parts[i]);
            column += parts[i].Length;
        }

        return text.Append('\n').ToString();
    }

    /// <summary>argparse4j's help layout: usage, description, then each argument with its text wrapped beside it.</summary>
    private static string Help()
    {
        var text = new StringBuilder(Usage());
        text.Append("\nThis tool is used to verify the producer performance.\n\noptional arguments:\n");
        AppendHelpRow(text, "-h, --help", "show this help message and exit");
        foreach (Argument argument in Arguments)
        {
            if (argument.Exclusive)
            {
                continue;
            }

            AppendHelpRow(text, argument.Synopsis, argument.Help);
        }

        text.Append("\n  either --record-size or --payload-file must be specified but not both.\n\n");
        foreach (Argument argument in Arguments)
        {
            if (argument.Exclusive)
            {
                AppendHelpRow(text, argument.Synopsis, argument.Help);
            }
        }

        return text.ToString();
    }

    private static void AppendHelpRow(StringBuilder text, string synopsis, string help)
    {
        const int column = 25;
        string left = "  " + synopsis;
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string word in help.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > Width - column)
            {
                lines.Add(line.ToString());
                line.Clear();
            }

            line.Append(line.Length > 0 ? " " : "").Append(word);
        }

        lines.Add(line.ToString());
        if (left.Length + 2 <= column)
        {
            text.Append(left.PadRight(column)).Append(lines[0]).Append('\n');
        }
        else
        {
            text.Append(left).Append('\n').Append(' ', column).Append(lines[0]).Append('\n');
        }

        for (int i = 1; i < lines.Count; i++)
        {
            text.Append(' ', column).Append(lines[i]).Append('\n');
        }
    }

    private sealed record Argument(string Name, string Metavar, string Help, Kind Kind, bool Required = false, bool Exclusive = false)
    {
        public string Synopsis => Kind switch
        {
            Kind.Flag => "--" + Name,
            Kind.Many => $"--{Name} {Metavar} [{Metavar} ...]",
            _ => $"--{Name} {Metavar}",
        };
    }
}
