using System.Diagnostics.CodeAnalysis;
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
    /// Returns int, short, long, double, bool, string or IReadOnlyList&lt;string&gt;. Throws
    /// <see cref="ConfigException"/> naming the key and the value.
    /// </summary>
    public object Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseCore(text, out object? value, out string shown, out string? problem)
            ? value!
            : throw new ConfigException(Name, shown, problem);
    }

    /// <summary>
    /// <see cref="Parse"/> for values that arrive in requests (topic configs): a bad value is an
    /// expected client error, so it comes back as Kafka's message instead of an exception.
    /// </summary>
    public bool TryParse(string text, [NotNullWhen(true)] out object? value, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParseCore(text, out object? parsed, out string shown, out string? problem))
        {
            value = parsed!;
            error = null;
            return true;
        }

        value = null;
        error = $"Invalid value {shown} for configuration {Name}: {problem}";
        return false;
    }

    private bool TryParseCore(string text, out object? value, out string shown, out string? problem)
    {
        string trimmed = text.Trim();
        shown = Type == ConfigType.Password ? "[hidden]" : text;
        value = null;
        switch (Type)
        {
            case ConfigType.Boolean:
                if (trimmed.Equals("true", StringComparison.OrdinalIgnoreCase) || trimmed.Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    value = trimmed.Equals("true", StringComparison.OrdinalIgnoreCase);
                    break;
                }

                shown = trimmed;
                problem = "Expected value to be either true or false";
                return false;
            case ConfigType.Int:
                if (!int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i))
                {
                    problem = "Not a number of type INT";
                    return false;
                }

                value = i;
                break;
            case ConfigType.Short:
                if (!short.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out short s))
                {
                    problem = "Not a number of type SHORT";
                    return false;
                }

                value = s;
                break;
            case ConfigType.Long:
                if (!long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
                {
                    problem = "Not a number of type LONG";
                    return false;
                }

                value = l;
                break;
            case ConfigType.Double:
                if (!double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
                {
                    problem = "Not a number of type DOUBLE";
                    return false;
                }

                value = d;
                break;
            case ConfigType.List:
                value = ParseList(trimmed);
                break;
            case ConfigType.String or ConfigType.Password:
                value = trimmed;
                break;
            default:
                throw new InvalidOperationException($"Unhandled config type {Type}.");
        }

        problem = Validator?.Check(value);
        return problem is null;
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
}
