namespace Samsa.Cli.CommandLine;

/// <summary>
/// A command line the tool cannot run: the message goes to stderr, followed by the option table when
/// <see cref="Usage"/> is set (as Kafka's CommandLineUtils.printUsageAndDie does), and the exit code is 1.
/// </summary>
internal sealed class UsageException : Exception
{
    public UsageException(string message, string? usage)
        : base(message)
    {
        Usage = usage;
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The tool's option table, printed after the message; null for a one-line error.</summary>
    public string? Usage { get; }
}
