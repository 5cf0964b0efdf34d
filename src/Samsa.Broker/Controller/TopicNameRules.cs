namespace Samsa.Broker.Controller;

/// <summary>Kafka's topic name rules: 1–249 characters of [a-zA-Z0-9._-], and not "." or "..".</summary>
internal static class TopicNameRules
{
    public const int MaxLength = 249;

    /// <summary>Returns null when valid, else the message Kafka's clients show.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "Topic name is illegal, it can't be empty";
        }

        if (name is "." or "..")
        {
            return "Topic name cannot be \".\" or \"..\"";
        }

        if (name.Length > MaxLength)
        {
            return $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}";
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '.' && c != '_' && c != '-')
            {
                return $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
            }
        }

        return null;
    }

    /// <summary>Names differing only in '.' versus '_' collide in metric names; Kafka refuses the second.</summary>
    public static string CollisionKey(string name) => name.Replace('.', '_');
}
