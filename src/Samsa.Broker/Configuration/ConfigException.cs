namespace Samsa.Broker.Configuration;

/// <summary>
/// A broker configuration value Samsa cannot start with: malformed, out of range, or inconsistent
/// with another key. The message follows Kafka's <c>ConfigException</c> wording
/// (<c>Invalid value abc for configuration num.partitions: Not a number of type INT</c>) so the
/// operator sees the key, the value and what is allowed. Thrown once, at start-up.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException()
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Kafka's three-part form: key, offending value, and what is wrong with it.</summary>
    public ConfigException(string configName, string? value, string? problem)
        : base(Format(configName, value, problem))
    {
        ConfigName = configName;
        Value = value;
    }

    /// <summary>The key the problem is about, when there is one; the server adds its line number.</summary>
    public string? ConfigName { get; }

    /// <summary>The rejected value as written.</summary>
    public string? Value { get; }

    private static string Format(string configName, string? value, string? problem) =>
        problem is null
            ? $"Invalid value {value} for configuration {configName}"
            : $"Invalid value {value} for configuration {configName}: {problem}";
}
