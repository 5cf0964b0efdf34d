namespace Samsa.Cli.Tools;

/// <summary>A producer input line Kafka's LineMessageReader refuses (e.g. parse.key without a separator).</summary>
internal sealed class LineFormatException : Exception
{
    public LineFormatException(string message)
        : base(message)
    {
    }

    public LineFormatException()
    {
    }

    public LineFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
