namespace Samsa.Protocol;

/// <summary>
/// The one exception every decoder in this assembly throws for malformed input: truncated data,
/// negative or oversized lengths, bad varints, wrong CRCs, unsupported versions. Callers at the
/// network edge catch exactly this type and answer with an error or close the connection; any
/// other exception escaping a decoder is a bug.
/// </summary>
public sealed class ProtocolException : Exception
{
    public ProtocolException()
    {
    }

    public ProtocolException(string message)
        : base(message)
    {
    }

    public ProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
