using System.Buffers;
using System.Net;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;

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

    private List<byte[]>? _rented;
    private List<FileRegion>? _regions;

    /// <summary>
    /// Whether the connection sends <see cref="FileRegion"/> fields from their files (sendfile), so
    /// a handler may answer with file ranges instead of copies. Off where nothing sends them
    /// (handlers called directly, platforms without sendfile).
    /// </summary>
    public bool SendsFileRegions { get; init; }

    /// <summary>
    /// The chunk CRCs of the request's frame, taken as it was copied out of the socket's buffers
    /// (large Produce requests only), so the log checks its batches' CRCs without reading them again.
    /// </summary>
    public ChunkedCrc32C? ReceivedChecksums { get; init; }

    /// <summary>
    /// Cancelled when the connection stops reading requests for a clean shutdown: a request parked
    /// for a long poll (a Fetch waiting up to its MaxWaitMs) answers now with what it has, as if its
    /// wait were over, instead of holding the shutdown for the rest of its wait.
    /// </summary>
    public CancellationToken Draining { get; init; }

    /// <summary>A file range as response data (fetched records), disposed with the pooled buffers once the response is written.</summary>
    public void AddResponseRegion(FileRegion region)
    {
        ArgumentNullException.ThrowIfNull(region);
        (_regions ??= []).Add(region);
    }

    /// <summary>
    /// A pooled buffer for response data (fetched records) that lives until the response has been
    /// written to the socket; the connection returns it to the pool then. Not thread-safe: one
    /// handler invocation owns a context.
    /// </summary>
    public byte[] RentResponseBuffer(int minimumLength)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(minimumLength);
        (_rented ??= []).Add(buffer);
        ResponseBufferBytes += buffer.Length;
        return buffer;
    }

    /// <summary>Bytes of the pooled response buffers held now; the connection caps what it holds unsent.</summary>
    public long ResponseBufferBytes { get; private set; }

    /// <summary>Called by the connection once the response is written (or dropped).</summary>
    public void ReturnResponseBuffers()
    {
        if (_regions is not null)
        {
            foreach (FileRegion region in _regions)
            {
                ((IDisposable)region).Dispose();
            }

            _regions = null;
        }

        if (_rented is null)
        {
            return;
        }

        foreach (byte[] buffer in _rented)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _rented = null;
        ResponseBufferBytes = 0;
    }
}
