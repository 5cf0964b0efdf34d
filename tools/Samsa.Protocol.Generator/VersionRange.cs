using System.Globalization;

namespace Samsa.Protocol.Generator;

/// <summary>An inclusive range of API versions: "N", "N-M", "N+", or "none" (empty).</summary>
internal readonly record struct VersionRange(short Min, short Max)
{
    public static readonly VersionRange None = new(1, 0);

    public static readonly VersionRange All = new(0, short.MaxValue);

    public bool IsEmpty => Min > Max;

    public bool IsOpenEnded => Max == short.MaxValue;

    public bool Contains(short version) => version >= Min && version <= Max;

    public bool Contains(VersionRange other) => other.IsEmpty || (!IsEmpty && other.Min >= Min && other.Max <= Max);

    public VersionRange Intersect(VersionRange other)
    {
        var result = new VersionRange(Math.Max(Min, other.Min), Math.Min(Max, other.Max));
        return result.IsEmpty ? None : result;
    }

    public static VersionRange Parse(string text)
    {
        if (text == "none")
        {
            return None;
        }

        if (text.EndsWith('+'))
        {
            return new VersionRange(ParseVersion(text[..^1]), short.MaxValue);
        }

        int dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            return new VersionRange(ParseVersion(text[..dash]), ParseVersion(text[(dash + 1)..]));
        }

        short single = ParseVersion(text);
        return new VersionRange(single, single);
    }

    private static short ParseVersion(string text) =>
        short.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out short value)
            ? value
            : throw new FormatException($"'{text}' is not a version number");

    public override string ToString() =>
        IsEmpty ? "none" : IsOpenEnded ? $"{Min}+" : Min == Max ? $"{Min}" : $"{Min}-{Max}";
}
