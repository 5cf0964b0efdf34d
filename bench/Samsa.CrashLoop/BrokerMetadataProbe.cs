using System.Buffers.Binary;
using System.Net.Sockets;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.CrashLoop;

/// <summary>
/// Asks one broker for its metadata of every topic over a connection of its own. A client library
/// answers GetMetadata from whichever broker it likes, and a broker just resumed from SIGSTOP
/// answers from the cache it had before the pause; asking each broker by its port shows what that
/// broker believes.
/// </summary>
internal static class BrokerMetadataProbe
{
    private const short Version = 9; // the first flexible version; the broker serves 0-12
    private const int MaxFrameSize = 16 * 1024 * 1024;

    /// <exception cref="IOException">No connection, or the broker closed it or sent a bad frame.</exception>
    /// <exception cref="SocketException">The connection was refused.</exception>
    public static async Task<MetadataResponseData> AskAsync(int port, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var request = new MetadataRequestData { Topics = null, AllowAutoTopicCreation = false };
        const int correlationId = 1;
        using (var frame = new PooledBufferWriter())
        {
            Frame.WriteRequest(frame, new RequestHeader { ApiKey = ApiKey.Metadata, ApiVersion = Version, CorrelationId = correlationId, ClientId = "chaos-health" }, request);
            await stream.WriteAsync(frame.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }

        byte[] prefix = new byte[Frame.SizePrefixLength];
        await stream.ReadExactlyAsync(prefix, cancellationToken).ConfigureAwait(false);
        int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (size < 4 || size > MaxFrameSize)
        {
            throw new IOException($"Broker on port {port} sent a Metadata frame of {size} bytes.");
        }

        byte[] body = new byte[size];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        var reader = new ProtocolReader(body);
        var header = new ResponseHeader();
        header.Read(ref reader, ResponseHeader.HeaderVersionFor(ApiKey.Metadata, Version));
        if (header.CorrelationId != correlationId)
        {
            throw new IOException($"Broker on port {port} answered correlation id {header.CorrelationId}.");
        }

        var response = new MetadataResponseData();
        response.Read(ref reader, Version);
        return response;
    }
}
