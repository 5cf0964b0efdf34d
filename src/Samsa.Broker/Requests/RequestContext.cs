using System.Net;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Requests;

/// <summary>
/// Who sent a request and how: the decoded header plus the connection's identity. Handed to a
/// handler with the decoded body; lives as long as that request.
/// </summary>
internal sealed class RequestContext(RequestHeader header, EndPoint? clientAddress, string listenerName)
{
    public RequestHeader Header { get; } = header;

    public ApiKey ApiKey => Header.ApiKey;

    public short ApiVersion => Header.ApiVersion;

    public string ClientId => Header.ClientId ?? string.Empty;

    public EndPoint? ClientAddress { get; } = clientAddress;

    public string ListenerName { get; } = listenerName;
}
