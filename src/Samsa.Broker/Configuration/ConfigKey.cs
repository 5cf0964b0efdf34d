using System.Globalization;

namespace Samsa.Broker.Configuration;

/// <summary>
/// One row of <see cref="BrokerConfigDefinition"/>: a broker key, how to parse it, its Kafka
/// default (as text, exactly as an operator would write it; null = no default), what values are
/// allowed, and whether Samsa acts on it or only accepts it for compatibility.
/// </summary>
internal sealed record ConfigKey(
    string Name,
    ConfigType Type,
    string? DefaultValue,
    ConfigValidator? Validator,
    ConfigImportance Importance,
    string Documentation,
    bool ActedOn = true)
{
    /// <summary>
    /// Parses and validates <paramref name="text"/> as this key's type, with Kafka's trimming rules.
    /// Returns int, short, long, bool, string or IReadOnlyList&lt;string&gt;. Throws
    /// <see cref="ConfigException"/> naming the key and the value.
    /// </summary>
    public object Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        object value = Type switch
        {
            ConfigType.Boolean => ParseBoolean(trimmed),
            ConfigType.Int => int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i)
                ? i
                : throw NotANumber(text, "INT"),
            ConfigType.Short => short.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out short s)
                ? s
                : throw NotANumber(text, "SHORT"),
            ConfigType.Long => long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)
                ? l
                : throw NotANumber(text, "LONG"),
            ConfigType.List => ParseList(trimmed),
            ConfigType.String or ConfigType.Password => trimmed,
            _ => throw new InvalidOperationException($"Unhandled config type {Type}."),
        };

        if (Validator?.Check(value) is { } problem)
        {
            throw new ConfigException(Name, Type == ConfigType.Password ? "[hidden]" : text, problem);
        }

        return value;
    }

    private bool ParseBoolean(string trimmed)
    {
        if (trimmed.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (trimmed.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        throw new ConfigException(Name, trimmed, "Expected value to be either true or false");
    }

    private static string[] ParseList(string trimmed)
    {
        if (trimmed.Length == 0)
        {
            return [];
        }

        string[] parts = trimmed.Split(',');
        for (int i = 0; i < parts.Length; i++)
        {
            parts[i] = parts[i].Trim();
        }

        return parts;
    }

    private ConfigException NotANumber(string text, string typeName) =>
        new(Name, text, $"Not a number of type {typeName}");
}
