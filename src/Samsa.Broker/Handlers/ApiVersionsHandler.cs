using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// ApiVersions (18): tells a client which versions of each API this broker speaks — exactly the
/// handlers registered with the router. Too-new requests never reach here: the connection answers
/// them with the KIP-511 v0 fallback.
/// </summary>
internal sealed class ApiVersionsHandler : RequestHandler<ApiVersionsRequestData, ApiVersionsResponseData>
{
    private readonly Func<RequestRouter> _router;
    private List<ApiVersionsResponseData.ApiVersion>? _advertised;

    /// <param name="router">The router this handler is registered in (built after the handler, hence lazy).</param>
    public ApiVersionsHandler(Func<RequestRouter> router)
    {
        _router = router;
    }

    public override ApiKey ApiKey => ApiKey.ApiVersions;

    public override short MinVersion => 0;

    public override short MaxVersion => 4;

    protected override ValueTask<ApiVersionsResponseData?> HandleAsync(RequestContext context, ApiVersionsRequestData request, CancellationToken cancellationToken)
    {
        var response = new ApiVersionsResponseData();
        if (context.ApiVersion >= 3 && (!IsValidSoftwareToken(request.ClientSoftwareName) || !IsValidSoftwareToken(request.ClientSoftwareVersion)))
        {
            response.ErrorCode = (short)ErrorCode.InvalidRequest;
        }

        response.ApiKeys = _advertised ??= BuildAdvertised(_router());
        return new ValueTask<ApiVersionsResponseData?>(response);
    }

    private static List<ApiVersionsResponseData.ApiVersion> BuildAdvertised(RequestRouter router)
    {
        var list = new List<ApiVersionsResponseData.ApiVersion>(router.Handlers.Count);
        foreach (IRequestHandler handler in router.Handlers)
        {
            list.Add(new ApiVersionsResponseData.ApiVersion
            {
                ApiKey = (short)handler.ApiKey,
                MinVersion = handler.MinVersion,
                MaxVersion = handler.MaxVersion,
            });
        }

        return list;
    }

    /// <summary>KIP-511: [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?</summary>
    private static bool IsValidSoftwareToken(string value)
    {
        if (value.Length == 0 || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1]))
        {
            return false;
        }

        foreach (char c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '.')
            {
                return false;
            }
        }

        return true;
    }
}
