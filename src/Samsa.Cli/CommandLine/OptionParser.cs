using System.Text;

namespace Samsa.Cli.CommandLine;

/// <summary>
/// Kafka's tools parse their flags with joptsimple: --long-flags only, a value as the next word or
/// after '=', unique prefixes accepted, repeats collected, words that are not flags ignored. This
/// parser does the same and reports problems with joptsimple's wording, so a user sees the messages
/// the Kafka tools print. Each tool builds one, parses once, and throws away.
/// </summary>
internal sealed class OptionParser
{
    private const int HelpWidth = 80;
    private const int OptionColumn = 41;

    private readonly List<OptionSpec> _specs = [];
    private readonly Dictionary<string, OptionSpec> _byName = new(StringComparer.Ordinal);

    public OptionParser()
    {
        Accept("help", "Print usage information.");
        Accept("version", "Display Kafka version.");
    }

    public void Accept(string name, string description) => Add(new OptionSpec(name, description));

    public void AcceptValue(string name, string description, string argumentName, string argumentType = "String", string? defaultValue = null) =>
        Add(new OptionSpec(name, description, argumentName, argumentType, argumentOptional: false, defaultValue));

    public void AcceptOptionalValue(string name, string description, string argumentName) =>
        Add(new OptionSpec(name, description, argumentName, argumentOptional: true));

    public ParsedOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, List<string?>>(StringComparer.Ordinal);
        int count = 0;
        for (int i = 0; i < args.Count; i++)
        {
            string word = args[i];
            if (word == "--")
            {
                break; // joptsimple: everything after "--" is a non-option argument, which the tools ignore.
            }

            if (!word.StartsWith("--", StringComparison.Ordinal) || word.Length == 2)
            {
                if (word.Length > 1 && word[0] == '-')
                {
                    throw new UsageException($"{word.TrimStart('-')} is not a recognized option");
                }

                continue; // a non-option argument: Kafka's tools ignore them
            }

            string body = word[2..];
            string? inlineValue = null;
            int equals = body.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                inlineValue = body[(equals + 1)..];
                body = body[..equals];
            }

            OptionSpec spec = Find(body);
            string? value = null;
            if (spec.TakesArgument)
            {
                if (inlineValue is not null)
                {
                    value = inlineValue;
                }
                else if (i + 1 < args.Count && (!spec.ArgumentOptional || !args[i + 1].StartsWith("--", StringComparison.Ordinal)))
                {
                    value = args[++i];
                }
                else if (!spec.ArgumentOptional)
                {
                    throw new UsageException($"Option {spec.Name} requires an argument");
                }
            }
            else if (inlineValue is not null)
            {
                throw new UsageException($"Option {spec.Name} does not take an argument");
            }

            if (!values.TryGetValue(spec.Name, out List<string?>? list))
            {
                list = [];
                values.Add(spec.Name, list);
            }

            list.Add(value);
            count++;
        }

        return new ParsedOptions(values, count);
    }

    /// <summary>The option table, in joptsimple's layout: flags sorted, descriptions wrapped beside them.</summary>
    public void PrintHelp(TextWriter writer)
    {
        var sorted = new List<OptionSpec>(_specs);
        sorted.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var text = new StringBuilder();
        AppendRow(text, ["Option"], ["Description"]);
        AppendRow(text, ["------"], ["-----------"]);
        foreach (OptionSpec spec in sorted)
        {
            string left = "--" + spec.Name;
            if (spec.TakesArgument)
            {
                string argument = $"{spec.ArgumentType}: {spec.ArgumentName}";
                left += spec.ArgumentOptional ? $" [{argument}]" : $" <{argument}>";
            }

            string description = spec.Description;
            if (spec.DefaultValue is not null)
            {
                description += $" (default: {spec.DefaultValue})";
            }

            AppendRow(text, Wrap(left, OptionColumn - 1, "  "), Wrap(description, HelpWidth - OptionColumn, "  "));
        }

        writer.Write(text.ToString());
    }

    /// <summary>Kafka's printUsageAndDie: the message, then the option table, exit 1.</summary>
    public UsageException Die(string message)
    {
        using var writer = new StringWriter();
        PrintHelp(writer);
        return new UsageException(message, writer.ToString());
    }

    /// <summary>Kafka's checkRequiredArgs.</summary>
    public void Require(ParsedOptions options, params string[] names)
    {
        foreach (string name in names)
        {
            if (!options.Has(name))
            {
                throw Die($"Missing required argument \"[{name}]\"");
            }
        }
    }

    /// <summary>Kafka's checkInvalidArgs: <paramref name="used"/> cannot be combined with any of <paramref name="invalid"/>.</summary>
    public void Forbid(ParsedOptions options, string used, params string[] invalid)
    {
        if (!options.Has(used))
        {
            return;
        }

        foreach (string name in invalid)
        {
            if (options.Has(name))
            {
                throw Die($"Option \"[{used}]\" can't be used with option \"[{name}]\"");
            }
        }
    }

    private void Add(OptionSpec spec)
    {
        _specs.Add(spec);
        _byName.Add(spec.Name, spec);
    }

    private OptionSpec Find(string name)
    {
        if (_byName.TryGetValue(name, out OptionSpec? exact))
        {
            return exact;
        }

        // joptsimple accepts any unambiguous prefix of a long option.
        OptionSpec? match = null;
        foreach (OptionSpec spec in _specs)
        {
            if (spec.Name.StartsWith(name, StringComparison.Ordinal) && name.Length > 0)
            {
                if (match is not null)
                {
                    throw new UsageException($"Option '{name}' cannot be uniquely identified");
                }

                match = spec;
            }
        }

        return match ?? throw new UsageException($"{name} is not a recognized option");
    }

    private static void AppendRow(StringBuilder text, List<string> left, List<string> right)
    {
        int rows = Math.Max(left.Count, right.Count);
        for (int row = 0; row < rows; row++)
        {
            string l = row < left.Count ? left[row] : "";
            string r = row < right.Count ? right[row] : "";
            text.Append(l.PadRight(OptionColumn)).Append(r).Append('\n');
        }
    }

    private static List<string> Wrap(string text, int width, string continuationIndent)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string paragraph in text.Split('\n'))
        {
            foreach (string word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                int limit = lines.Count == 0 ? width : width - continuationIndent.Length;
                if (line.Length > 0 && line.Length + 1 + word.Length > limit)
                {
                    lines.Add(Indented(lines.Count, line.ToString(), continuationIndent));
                    line.Clear();
                }

                if (line.Length > 0)
                {
                    line.Append(' ');
                }

                line.Append(word);
            }

            if (line.Length > 0)
            {
                lines.Add(Indented(lines.Count, line.ToString(), continuationIndent));
                line.Clear();
            }
        }

        return lines;
    }

    private static string Indented(int index, string line, string indent) => index == 0 ? line : indent + line;
}
