using System.Buffers;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.InterBroker;

/// <summary>
/// A decoded response whose frame lives in a buffer rented from <see cref="ArrayPool{T}.Shared"/>:
/// byte fields of <see cref="Response"/> (a fetch's record batches) are slices of that buffer, so
/// they are valid until <see cref="Dispose"/> gives it back. Disposing twice returns it once.
/// </summary>
internal sealed class PooledResponse<TResponse> : IDisposable
    where TResponse : IResponseData
{
    private byte[]? _buffer;

    public PooledResponse(TResponse response, byte[] buffer)
    {
        Response = response;
        _buffer = buffer;
    }

    public TResponse Response { get; }

    public void Dispose()
    {
        byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
