using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Requests;

namespace Samsa.Broker.Network;

/// <summary>
/// Accepts client connections on the configured listeners and runs one <see cref="KafkaConnection"/>
/// per socket. Owns the listening sockets, the accept loops, every connection task and the idle
/// reaper; <see cref="StopAsync"/> stops accepting, lets connections finish what they have in
/// flight, and waits for all of them.
/// </summary>
internal sealed partial class SocketServer : IAsyncDisposable
{
    private readonly RequestRouter _router;
    private readonly NetworkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<KafkaConnection, Task> _connections = new();
    private readonly List<(Socket Socket, string Name)> _listeners = [];
    private readonly List<Task> _loops = [];

    public SocketServer(RequestRouter router, NetworkOptions options, TimeProvider time, ILogger logger)
    {
        _router = router;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The endpoints actually bound, in listener order (port 0 resolved to the OS's choice).</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints
    {
        get
        {
            var endpoints = new List<IPEndPoint>(_listeners.Count);
            foreach ((Socket socket, _) in _listeners)
            {
                endpoints.Add((IPEndPoint)socket.LocalEndPoint!);
            }

            return endpoints;
        }
    }

    /// <summary>Binds every listener (failing fast if one cannot bind) and starts accepting.</summary>
    public void Start(IReadOnlyList<(string Name, IPEndPoint Endpoint)> listeners)
    {
        foreach ((string name, IPEndPoint endpoint) in listeners)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
                {
                    socket.DualMode = true;
                }

                // No ReuseAddress: on Linux .NET turns it into SO_REUSEPORT too, and then a second
                // broker binds the same port and the kernel splits connections between the two.
                // The default socket already has SO_REUSEADDR, so a restart rebinds past TIME_WAIT.
                socket.Bind(endpoint);
                socket.Listen(512);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            _listeners.Add((socket, name));
            string bound = socket.LocalEndPoint!.ToString()!;
            LogListening(_logger, bound, name);
        }

        foreach ((Socket socket, string name) in _listeners)
        {
            _loops.Add(AcceptLoopAsync(socket, name, _stopping.Token));
        }

        _loops.Add(ReapIdleConnectionsAsync(_stopping.Token));
    }

    private async Task AcceptLoopAsync(Socket listener, string name, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException e)
            {
                // A client that vanished mid-handshake, or too many open files: keep accepting.
                LogAcceptFailed(_logger, e.SocketErrorCode.ToString());
                continue;
            }

            client.NoDelay = true;
            var connection = new KafkaConnection(client, _router, _options, name, _time, _logger);
            _connections[connection] = RunConnectionAsync(connection, stopping);
        }
    }

    private async Task RunConnectionAsync(KafkaConnection connection, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync(stopping).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    private async Task ReapIdleConnectionsAsync(CancellationToken stopping)
    {
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_options.ConnectionsMaxIdle.Ticks / 10, TimeSpan.TicksPerMillisecond * 100, TimeSpan.TicksPerSecond * 30));
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
            {
                foreach (KafkaConnection connection in _connections.Keys)
                {
                    if (connection.IdleTime > _options.ConnectionsMaxIdle)
                    {
                        connection.Abort();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Stops accepting, then asks every connection to stop reading; each finishes the requests it
    /// has and sends their responses. After <paramref name="grace"/>, the rest are cut off.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        foreach ((Socket socket, _) in _listeners)
        {
            socket.Dispose();
        }

        foreach (KafkaConnection connection in _connections.Keys)
        {
            connection.StopReceiving();
        }

        Task all = Task.WhenAll(_connections.Values);
        if (await Task.WhenAny(all, Task.Delay(grace, _time)).ConfigureAwait(false) != all)
        {
            foreach (KafkaConnection connection in _connections.Keys)
            {
                connection.Abort();
            }
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Awaiting socket connections on {Endpoint} ({Listener}).")]
    private static partial void LogListening(ILogger logger, string endpoint, string listener);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting a connection failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, string error);
}
