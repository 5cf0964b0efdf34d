using System.Globalization;

namespace Samsa.Broker.Configuration;

/// <summary>
/// Checks one parsed value of one key, as Kafka's <c>ConfigDef.Validator</c> does. Returns the
/// problem in Kafka's words (<c>Value must be at least 1</c>) or null when the value is fine.
/// Stateless; shared by the static definition table.
/// </summary>
internal abstract class ConfigValidator
{
    public abstract string? Check(object value);

    /// <summary>What is allowed, for documentation (<c>[1,...]</c>, <c>[CreateTime, LogAppendTime]</c>).</summary>
    public abstract string Describe();

    public static ConfigValidator AtLeast(long min) => new RangeValidator(min, null);

    public static ConfigValidator Between(long min, long max) => new RangeValidator(min, max);

    public static ConfigValidator OneOf(params string[] allowed) => new OneOfValidator(allowed, ignoreCase: false);

    public static ConfigValidator OneOfIgnoreCase(params string[] allowed) => new OneOfValidator(allowed, ignoreCase: true);

    public static ConfigValidator EachOneOf(params string[] allowed) => new ListValidator(allowed);

    private sealed class RangeValidator(long min, long? max) : ConfigValidator
    {
        public override string? Check(object value)
        {
            long n = Convert.ToInt64(value, CultureInfo.InvariantCulture);
            if (n < min)
            {
                return $"Value must be at least {min}";
            }

            return max is { } upper && n > upper ? $"Value must be no more than {upper}" : null;
        }

        public override string Describe() => max is { } upper ? $"[{min},...,{upper}]" : $"[{min},...]";
    }

    private sealed class OneOfValidator(string[] allowed, bool ignoreCase) : ConfigValidator
    {
        public override string? Check(object value)
        {
            var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            string text = (string)value;
            foreach (string candidate in allowed)
            {
                if (string.Equals(candidate, text, comparison))
                {
                    return null;
                }
            }

            return $"String must be one of: {string.Join(", ", allowed)}";
        }

        public override string Describe() => $"[{string.Join(", ", allowed)}]";
    }

    private sealed class ListValidator(string[] allowed) : ConfigValidator
    {
        public override string? Check(object value)
        {
            var items = (IReadOnlyList<string>)value;
            if (items.Count == 0)
            {
                return $"Empty list is not allowed; each item must be one of: {string.Join(", ", allowed)}";
            }

            foreach (string item in items)
            {
                if (Array.IndexOf(allowed, item) < 0)
                {
                    return $"Item {item} is not allowed; each item must be one of: {string.Join(", ", allowed)}";
                }
            }

            return null;
        }

        public override string Describe() => $"[{string.Join(", ", allowed)}]";
    }
}
