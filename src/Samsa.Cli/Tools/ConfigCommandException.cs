namespace Samsa.Cli.Tools;

/// <summary>A refused config command (Kafka's InvalidConfigurationException / IllegalArgumentException): its message alone on stderr, exit 1.</summary>
internal sealed class ConfigCommandException : Exception
{
    public ConfigCommandException(string message)
        : base(message)
    {
    }

    public ConfigCommandException()
    {
    }

    public ConfigCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
