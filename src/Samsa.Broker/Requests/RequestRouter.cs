using Samsa.Protocol.Messages;

namespace Samsa.Broker.Requests;

/// <summary>
/// The table from API key to handler, built once at start-up. Also the source of truth for what
/// ApiVersions advertises: exactly the registered handlers and their ranges.
/// </summary>
internal sealed class RequestRouter
{
    private readonly IRequestHandler?[] _handlers = new IRequestHandler?[256];
    private readonly List<IRequestHandler> _all = [];

    public RequestRouter(IEnumerable<IRequestHandler> handlers)
    {
        foreach (IRequestHandler handler in handlers)
        {
            short key = (short)handler.ApiKey;
            if (key < 0 || key >= _handlers.Length || _handlers[key] is not null)
            {
                throw new InvalidOperationException($"Handler for {handler.ApiKey} registered twice or out of range.");
            }

            if (handler.MaxVersion > ApiMessageTable.HighestVersion(handler.ApiKey))
            {
                throw new InvalidOperationException($"{handler.ApiKey} handler advertises v{handler.MaxVersion} beyond its schema.");
            }

            _handlers[key] = handler;
            _all.Add(handler);
        }

        _all.Sort((a, b) => ((short)a.ApiKey).CompareTo((short)b.ApiKey));
    }

    public IReadOnlyList<IRequestHandler> Handlers => _all;

    public IRequestHandler? Find(ApiKey key) =>
        (ushort)key < _handlers.Length ? _handlers[(ushort)key] : null;

    /// <summary>True when a request at this key and version can be decoded and answered.</summary>
    public bool Accepts(ApiKey key, short version, out IRequestHandler? handler)
    {
        handler = Find(key);
        return handler is not null
            && version <= handler.MaxVersion
            && version >= ApiMessageTable.LowestVersion(key);
    }
}
