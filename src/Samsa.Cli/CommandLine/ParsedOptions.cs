using System.Globalization;

namespace Samsa.Cli.CommandLine;

/// <summary>The flags of one command line, with the typed getters and messages joptsimple gives Kafka's tools.</summary>
internal sealed class ParsedOptions
{
    private readonly Dictionary<string, List<string?>> _values;

    public ParsedOptions(Dictionary<string, List<string?>> values, int count)
    {
        _values = values;
        Count = count;
    }

    /// <summary>How many flags the command line held (Kafka prints the usage for none).</summary>
    public int Count { get; }

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The flag's single value, or null when absent (or given without its optional value).</summary>
    public string? Value(string name)
    {
        if (!_values.TryGetValue(name, out List<string?>? values))
        {
            return null;
        }

        return values.Count > 1
            ? throw new UsageException($"Found multiple arguments for option {name}, but you asked for only one")
            : values[0];
    }

    public IReadOnlyList<string> Values(string name)
    {
        if (!_values.TryGetValue(name, out List<string?>? values))
        {
            return [];
        }

        var result = new List<string>(values.Count);
        foreach (string? value in values)
        {
            if (value is not null)
            {
                result.Add(value);
            }
        }

        return result;
    }

    public int? Int32(string name)
    {
        string? text = Value(name);
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new UsageException($"Cannot parse argument '{text}' of option {name}");
    }

    public long? Int64(string name)
    {
        string? text = Value(name);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new UsageException($"Cannot parse argument '{text}' of option {name}");
    }
}
