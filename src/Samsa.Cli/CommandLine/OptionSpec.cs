namespace Samsa.Cli.CommandLine;

/// <summary>
/// One --long-flag a tool accepts, as joptsimple declares it for Kafka's tools: a plain switch, or a
/// flag with one value (required, or optional when <see cref="ArgumentOptional"/>), repeatable when
/// the tool reads all of its values.
/// </summary>
internal sealed class OptionSpec
{
    public OptionSpec(string name, string description, string? argumentName = null, string argumentType = "String",
        bool argumentOptional = false, string? defaultValue = null)
    {
        Name = name;
        Description = description;
        ArgumentName = argumentName;
        ArgumentType = argumentType;
        ArgumentOptional = argumentOptional;
        DefaultValue = defaultValue;
    }

    public string Name { get; }

    public string Description { get; }

    /// <summary>The value's description in the help ("server to connect to"); null for a switch.</summary>
    public string? ArgumentName { get; }

    public string ArgumentType { get; }

    public bool TakesArgument => ArgumentName is not null;

    public bool ArgumentOptional { get; }

    /// <summary>Shown in the help as "(default: x)"; the tool applies it.</summary>
    public string? DefaultValue { get; }
}
