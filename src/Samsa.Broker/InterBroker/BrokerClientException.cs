namespace Samsa.Broker.InterBroker;

/// <summary>
/// The other broker could not be reached or the connection broke before the response arrived.
/// The request may or may not have been applied; callers retry idempotent requests.
/// </summary>
public sealed class BrokerClientException : IOException
{
    public BrokerClientException()
    {
    }

    public BrokerClientException(string message)
        : base(message)
    {
    }

    public BrokerClientException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
