using Samsa.Protocol.Messages;

namespace Samsa.Broker.Requests;

/// <summary>Typed base for handlers: casts the decoded body once and declares the version range.</summary>
internal abstract class RequestHandler<TRequest, TResponse> : IRequestHandler
    where TRequest : class, IRequestData
    where TResponse : class, IResponseData
{
    public abstract ApiKey ApiKey { get; }

    public abstract short MinVersion { get; }

    public abstract short MaxVersion { get; }

    public ValueTask<IResponseData?> HandleAsync(RequestContext context, IRequestData request, CancellationToken cancellationToken)
    {
        ValueTask<TResponse?> pending = HandleAsync(context, (TRequest)request, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            return new ValueTask<IResponseData?>(pending.Result);
        }

        return Await(pending);

        static async ValueTask<IResponseData?> Await(ValueTask<TResponse?> pending) => await pending.ConfigureAwait(false);
    }

    protected abstract ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request, CancellationToken cancellationToken);
}
