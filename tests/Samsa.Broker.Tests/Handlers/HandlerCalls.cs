using Samsa.Broker.Requests;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>Calls a handler the way the router does, with a context for the request's version.</summary>
internal static class HandlerCalls
{
    public static async Task<TResponse> CallAsync<TResponse>(this IRequestHandler handler, IRequestData request, short version, string listener = LocalBrokerParts.Listener)
        where TResponse : class, IResponseData
    {
        RequestContext context = LocalBrokerParts.Context(handler.ApiKey, version, listener);
        IResponseData? response = await handler.HandleAsync(context, request, CancellationToken.None);
        return Assert.IsType<TResponse>(response);
    }
}
