using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Samsa.Coordination.ZooKeeper;
using static Samsa.Coordination.Tests.Embedded.CrudTests;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>Something that is not a well-behaved ZooKeeper on the other end: a clean ConnectionLoss, never a hang.</summary>
public sealed class ZooKeeperBadServerTests
{
    [Fact]
    public async Task Junk_instead_of_a_handshake_fails_the_connect_with_connection_loss()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        Task server = ServeAsync(listener, async stream =>
        {
            byte[] junk = new byte[4096];
            Random.Shared.NextBytes(junk);
            junk[0] = 0x7f;
            await stream.WriteAsync(junk, stop.Token);
        }, stop.Token);

        long started = Environment.TickCount64;
        CoordinationException e = await Assert.ThrowsAsync<CoordinationException>(() => ZooKeeperClient.ConnectAsync(Options(listener), null, CancellationToken.None));
        Assert.Equal(CoordinationError.ConnectionLoss, e.Error);
        Assert.InRange(Environment.TickCount64 - started, 0, 10_000);
        await stop.CancelAsync();
        listener.Stop();
        await server;
    }

    [Fact]
    public async Task A_silent_server_fails_the_connect_with_connection_loss()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        Task server = ServeAsync(listener, stream => Task.Delay(Timeout.Infinite, stop.Token), stop.Token);

        CoordinationException e = await Assert.ThrowsAsync<CoordinationException>(() => ZooKeeperClient.ConnectAsync(Options(listener), null, CancellationToken.None));
        Assert.Equal(CoordinationError.ConnectionLoss, e.Error);
        await stop.CancelAsync();
        listener.Stop();
        await server;
    }

    [Fact]
    public async Task Junk_after_a_good_handshake_fails_the_request_with_connection_loss()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        Task server = ServeAsync(listener, async stream =>
        {
            // Read the ConnectRequest, grant a session, then answer the first request with a frame
            // whose length prefix is far beyond jute.maxbuffer.
            await ReadFrameAsync(stream, stop.Token);
            byte[] response = new byte[4 + 36];
            BinaryPrimitives.WriteInt32BigEndian(response, 36);
            BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(8), 4000);
            BinaryPrimitives.WriteInt64BigEndian(response.AsSpan(12), 0x1234);
            BinaryPrimitives.WriteInt32BigEndian(response.AsSpan(20), 16);
            await stream.WriteAsync(response, stop.Token);
            await ReadFrameAsync(stream, stop.Token);
            await stream.WriteAsync(new byte[] { 0x7f, 0xff, 0xff, 0xff, 1, 2, 3 }, stop.Token);
            await Task.Delay(Timeout.Infinite, stop.Token);
        }, stop.Token);

        var options = new ZooKeeperClientOptions
        {
            ConnectString = listener.LocalEndpoint.ToString()!,
            SessionTimeout = TimeSpan.FromSeconds(4),
            ConnectionTimeout = TimeSpan.FromSeconds(10),
        };
        await using ZooKeeperClient client = await ZooKeeperClient.ConnectAsync(options, null, CancellationToken.None);
        Assert.Equal(0x1234, client.SessionId);

        // A write cannot be resent blindly: it fails. The fake server never answers again, so the
        // reconnects fail too, and nothing hangs past the session timeout.
        await AssertError(CoordinationError.ConnectionLoss, () => client.CreateAsync("/a", default, CreateMode.Persistent).AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        await AssertError(CoordinationError.ConnectionLoss, () => client.GetDataAsync("/a").AsTask().WaitAsync(TimeSpan.FromSeconds(20)));
        await stop.CancelAsync();
        listener.Stop();
        await server;
    }

    [Fact]
    public async Task No_server_at_all_fails_the_connect_within_the_connection_timeout()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var options = new ZooKeeperClientOptions
        {
            ConnectString = $"127.0.0.1:{port}",
            ConnectionTimeout = TimeSpan.FromSeconds(1),
        };
        long started = Environment.TickCount64;
        CoordinationException e = await Assert.ThrowsAsync<CoordinationException>(() => ZooKeeperClient.ConnectAsync(options, null, CancellationToken.None));
        Assert.Equal(CoordinationError.ConnectionLoss, e.Error);
        Assert.InRange(Environment.TickCount64 - started, 0, 5_000);
    }

    private static ZooKeeperClientOptions Options(TcpListener listener) => new()
    {
        ConnectString = listener.LocalEndpoint.ToString()!,
        SessionTimeout = TimeSpan.FromSeconds(2),
        ConnectionTimeout = TimeSpan.FromSeconds(2),
    };

    private static async Task ReadFrameAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        byte[] prefix = new byte[4];
        await stream.ReadExactlyAsync(prefix, cancellationToken);
        await stream.ReadExactlyAsync(new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)], cancellationToken);
    }

    /// <summary>Accepts connections until stopped and runs <paramref name="behave"/> on each.</summary>
    private static async Task ServeAsync(TcpListener listener, Func<NetworkStream, Task> behave, CancellationToken stop)
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                TcpClient client = await listener.AcceptTcpClientAsync(stop);
                connections.Add(Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            await behave(client.GetStream());
                        }
                        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
                        {
                        }
                    }
                }, CancellationToken.None));
            }
        }
        // Stopping the listener between two accepts makes the next one throw InvalidOperationException.
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException
            || (e is InvalidOperationException && stop.IsCancellationRequested))
        {
        }

        await Task.WhenAll(connections);
    }
}
