using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.InterBroker;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Testing;

namespace Samsa.Broker.Tests.InterBroker;

/// <summary>The inter-broker connection against a real broker on a real socket, and against broken peers.</summary>
public sealed class BrokerClientTests
{
    private static readonly BrokerClientOptions FastOptions = new()
    {
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task Pipelined_requests_to_a_broker_get_their_own_responses()
    {
        using var dir = new TempDirectory();
        await using KafkaBroker broker = await StartBrokerAsync(dir.Path);
        IPEndPoint endpoint = broker.BoundEndpoints[0];
        await using var client = new BrokerClient("127.0.0.1", endpoint.Port, "test", FastOptions, NullLogger.Instance);

        // Many requests in flight at once, of two kinds, so a mixed-up correlation would decode wrongly.
        var tasks = new List<Task<IResponseData>>();
        for (int i = 0; i < 40; i++)
        {
            tasks.Add(i % 2 == 0
                ? Send<ApiVersionsResponseData>(client, new ApiVersionsRequestData { ClientSoftwareName = "samsa", ClientSoftwareVersion = "1" }, 3)
                : Send<MetadataResponseData>(client, new MetadataRequestData { Topics = [] }, 12));
        }

        IResponseData[] responses = await Task.WhenAll(tasks);
        for (int i = 0; i < responses.Length; i++)
        {
            if (i % 2 == 0)
            {
                var versions = Assert.IsType<ApiVersionsResponseData>(responses[i]);
                Assert.Equal((short)ErrorCode.None, versions.ErrorCode);
                Assert.NotEmpty(versions.ApiKeys);
            }
            else
            {
                var metadata = Assert.IsType<MetadataResponseData>(responses[i]);
                Assert.Equal(broker.ClusterId, metadata.ClusterId);
                Assert.Single(metadata.Brokers);
            }
        }
    }

    [Fact]
    public async Task A_request_its_version_cannot_carry_fails_as_a_send_and_the_connection_goes_on()
    {
        using var dir = new TempDirectory();
        await using KafkaBroker broker = await StartBrokerAsync(dir.Path);
        await using var client = new BrokerClient("127.0.0.1", broker.BoundEndpoints[0].Port, "test", FastOptions, NullLogger.Instance);

        // Metadata v0 has no "all topics" null: callers' loops catch BrokerClientException, so that is what this must be.
        BrokerClientException e = await Assert.ThrowsAsync<BrokerClientException>(() => Send<MetadataResponseData>(client, new MetadataRequestData { Topics = null }, 0));
        Assert.Contains("Cannot encode Metadata v0", e.Message, StringComparison.Ordinal);

        // Nothing went on the wire: the next request on the same client is answered.
        var metadata = (MetadataResponseData)await Send<MetadataResponseData>(client, new MetadataRequestData { Topics = [] }, 12);
        Assert.Equal(broker.ClusterId, metadata.ClusterId);
    }

    [Fact]
    public async Task An_unreachable_broker_fails_with_BrokerClientException()
    {
        int port = FreePort();
        await using var client = new BrokerClient("127.0.0.1", port, "test", FastOptions, NullLogger.Instance);

        await Assert.ThrowsAsync<BrokerClientException>(async () =>
            await client.SendAsync<ApiVersionsResponseData>(new ApiVersionsRequestData(), 0, CancellationToken.None));
    }

    [Fact]
    public async Task A_peer_that_hangs_up_fails_the_request_and_the_next_send_reconnects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var client = new BrokerClient("127.0.0.1", port, "test", FastOptions, NullLogger.Instance);

        // First peer: accepts, then closes without answering.
        Task<BrokerClientException> first = Assert.ThrowsAsync<BrokerClientException>(async () =>
            await client.SendAsync<ApiVersionsResponseData>(new ApiVersionsRequestData(), 0, CancellationToken.None));
        using (Socket accepted = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            accepted.Shutdown(SocketShutdown.Both);
        }

        await first.WaitAsync(TimeSpan.FromSeconds(10));

        // Second send: a new connection, answered with garbage -> a clear error, not a hang.
        Task<BrokerClientException> second = Assert.ThrowsAsync<BrokerClientException>(async () =>
            await client.SendAsync<ApiVersionsResponseData>(new ApiVersionsRequestData(), 0, CancellationToken.None));
        using (Socket accepted = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            // Answer only once the request is in, as a broker would: garbage sent before the client's
            // write could fail that write first ("Sending ... failed"), a different error path.
            byte[] request = new byte[4];
            await accepted.ReceiveAsync(request).WaitAsync(TimeSpan.FromSeconds(10));
            await accepted.SendAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff, 1, 2, 3 });
            BrokerClientException error = await second.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Contains("frame", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Pooled_and_plain_responses_pipelined_on_one_connection_each_decode_their_own_frame()
    {
        using var dir = new TempDirectory();
        await using KafkaBroker broker = await StartBrokerAsync(dir.Path);
        await using var client = new BrokerClient("127.0.0.1", broker.BoundEndpoints[0].Port, "test", FastOptions, NullLogger.Instance);

        // Alternating kinds in flight together: the read loop picks each response's buffer from the
        // oldest request, so a mix-up would decode a frame into the wrong kind of buffer or message.
        var pooled = new List<Task<PooledResponse<MetadataResponseData>>>();
        var plain = new List<Task<IResponseData>>();
        for (int i = 0; i < 20; i++)
        {
            pooled.Add(client.SendPooledAsync<MetadataResponseData>(new MetadataRequestData { Topics = [] }, 12, CancellationToken.None).AsTask());
            plain.Add(Send<ApiVersionsResponseData>(client, new ApiVersionsRequestData { ClientSoftwareName = "samsa", ClientSoftwareVersion = "1" }, 3));
        }

        foreach (Task<PooledResponse<MetadataResponseData>> pending in pooled)
        {
            using PooledResponse<MetadataResponseData> response = await pending;
            Assert.Equal(broker.ClusterId, response.Response.ClusterId);
            Assert.Single(response.Response.Brokers);
        }

        foreach (IResponseData response in await Task.WhenAll(plain))
        {
            Assert.NotEmpty(Assert.IsType<ApiVersionsResponseData>(response).ApiKeys);
        }
    }

    // "another correlation id" is the case that needs the read loop to fail the request it took off
    // the queue (the peer stays connected, so nothing else would fail it before the 10 s timeout);
    // a hang-up mid-frame fails the connection anyway and is kept as a second path.
    [Theory]
    [InlineData("another correlation id")]
    [InlineData("hang-up in the middle of the frame")]
    public async Task A_broken_response_fails_the_request_it_was_read_for_at_once(string broken)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using var client = new BrokerClient("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, "test", FastOptions, NullLogger.Instance);

        // Pooled: the read loop rents the frame's buffer, which must go back to the pool on these paths.
        Task<BrokerClientException> sent = Assert.ThrowsAsync<BrokerClientException>(async () =>
            await client.SendPooledAsync<ApiVersionsResponseData>(new ApiVersionsRequestData(), 0, CancellationToken.None));
        using (Socket peer = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            int correlationId = await ReceiveRequestAsync(peer);
            bool wrongId = broken == "another correlation id";
            byte[] answer = new byte[12]; // a size prefix and a correlation id
            BinaryPrimitives.WriteInt32BigEndian(answer, wrongId ? answer.Length - 4 : 100);
            BinaryPrimitives.WriteInt32BigEndian(answer.AsSpan(4), wrongId ? correlationId + 1 : correlationId);
            await peer.SendAsync(answer);
            if (!wrongId)
            {
                peer.Shutdown(SocketShutdown.Both);
            }

            // Well before the 10 s request timeout (with a wrong id, the peer is still connected).
            BrokerClientException error = await sent.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Contains(wrongId ? "answered correlation id" : "lost", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_send_cancelled_in_the_middle_of_its_frame_drops_the_connection_and_the_next_send_opens_a_new_one()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        await using var client = new BrokerClient("127.0.0.1", ((IPEndPoint)listener.LocalEndpoint).Port, "test", FastOptions, NullLogger.Instance);

        // A request of about 32 MB to a peer that reads nothing: the write stalls once the socket
        // buffers are full, part of the frame on the wire.
        var large = new MetadataRequestData { Topics = [] };
        for (int i = 0; i < 160_000; i++)
        {
            large.Topics.Add(new MetadataRequestData.MetadataRequestTopic { Name = new string('t', 200) });
        }

        using var cancel = new CancellationTokenSource();
        Task<MetadataResponseData> stalled = client.SendAsync<MetadataResponseData>(large, 12, cancel.Token).AsTask();
        using Socket first = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await Polling.UntilAsync(() => first.Available > 0, TimeSpan.FromSeconds(10), "the frame's first bytes arrive");
        Assert.False(stalled.IsCompleted, "the whole frame was written: the test proves nothing");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stalled.WaitAsync(TimeSpan.FromSeconds(10)));

        // The next request must not follow half a frame on the same connection: a new one carries it.
        Task<BrokerClientException> next = Assert.ThrowsAsync<BrokerClientException>(async () =>
            await client.SendAsync<ApiVersionsResponseData>(new ApiVersionsRequestData(), 0, CancellationToken.None));
        using Socket second = await listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await ReceiveRequestAsync(second);
        second.Shutdown(SocketShutdown.Both);
        await next.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Reads one request frame as a broker would; returns its correlation id.</summary>
    private static async Task<int> ReceiveRequestAsync(Socket peer)
    {
        using var stream = new NetworkStream(peer, ownsSocket: false);
        byte[] size = new byte[4];
        await stream.ReadExactlyAsync(size).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        byte[] body = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
        await stream.ReadExactlyAsync(body).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        return BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(4)); // after api key and version
    }

    private static async Task<IResponseData> Send<T>(BrokerClient client, IRequestData request, short version)
        where T : IResponseData, new() => await client.SendAsync<T>(request, version, CancellationToken.None);

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static Task<KafkaBroker> StartBrokerAsync(string logDir)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["log.dirs"] = logDir,
            ["broker.id"] = "0",
        };
        BrokerOptions options = BrokerOptions.Load(properties, out _);
        return KafkaBroker.StartAsync(options, TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None);
    }
}
