namespace Samsa.Testing;

/// <summary>A step of a cluster test failed; the message adds the brokers' last output lines to the cause's.</summary>
public sealed class ClusterTestFailedException : Exception
{
    public ClusterTestFailedException()
    {
    }

    public ClusterTestFailedException(string message)
        : base(message)
    {
    }

    public ClusterTestFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
