using System.Text.RegularExpressions;

namespace Samsa.Cli.Tools;

/// <summary>
/// Kafka's IncludeList: a --topic value is a regex (commas mean "or", quotes and spaces are
/// stripped) that must match a whole topic name; internal topics drop out with --exclude-internal.
/// </summary>
internal sealed class TopicFilter
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex? _regex;
    private readonly bool _excludeInternal;

    public TopicFilter(string? includeList, bool excludeInternal)
    {
        _excludeInternal = excludeInternal;
        if (includeList is not null)
        {
            string pattern = includeList.Trim().Replace(',', '|').Replace(" ", "", StringComparison.Ordinal).Trim('"', '\'');
            _regex = new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, MatchTimeout);
        }
    }

    /// <summary>Kafka's Topic.isInternal: the two topics the brokers own.</summary>
    public static bool IsInternal(string topic) => topic is "__consumer_offsets" or "__transaction_state";

    public bool Allows(string topic) =>
        !(_excludeInternal && IsInternal(topic)) && (_regex is null || _regex.IsMatch(topic));
}
