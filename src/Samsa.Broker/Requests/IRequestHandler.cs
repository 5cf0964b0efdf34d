using Samsa.Protocol.Messages;

namespace Samsa.Broker.Requests;

/// <summary>
/// Answers one API. A handler translates between wire data and calls into the broker's parts; it
/// never throws for bad client input (errors are response codes). Its synchronous part runs in
/// request order on the connection's receive loop, so work that must keep per-connection order
/// (an append) happens before it returns; what is left (waiting for replication, a long-poll
/// fetch) completes the returned task later, and responses still go out in request order.
/// </summary>
internal interface IRequestHandler
{
    ApiKey ApiKey { get; }

    /// <summary>Lowest version advertised in ApiVersions.</summary>
    short MinVersion { get; }

    /// <summary>Highest version advertised and accepted.</summary>
    short MaxVersion { get; }

    /// <summary>Returns the response body, or null when the API sends none (Produce with acks=0).</summary>
    ValueTask<IResponseData?> HandleAsync(RequestContext context, IRequestData request, CancellationToken cancellationToken);
}
