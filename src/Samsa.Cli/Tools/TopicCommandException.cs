namespace Samsa.Cli.Tools;

/// <summary>A failed topic command; TopicCommand prints it as "Error while executing topic command : message".</summary>
internal sealed class TopicCommandException : Exception
{
    public TopicCommandException(string message)
        : base(message)
    {
    }

    public TopicCommandException()
    {
    }

    public TopicCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
