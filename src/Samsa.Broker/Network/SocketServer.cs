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
/// flight, and waits for all of them. Each accepted socket must first get past the
/// <see cref="ConnectionQuotas"/> (max.connections waits, a full IP is refused); all connections
/// share one <see cref="RequestBudget"/>.
/// </summary>
internal sealed partial class SocketServer : IAsyncDisposable
{
    private readonly RequestRouter _router;
    private readonly NetworkOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();

    // Cancelled when the server stops reading requests: parked long polls answer at once (RequestContext.Draining).
    private readonly CancellationTokenSource _draining = new();
    private readonly ConcurrentDictionary<KafkaConnection, Task> _connections = new();
    private readonly List<(Socket Socket, string Name)> _listeners = [];
    private readonly List<Task> _loops = [];
    private readonly RequestBudget _budget;
    private readonly LogThrottle _refusalLog;
    private ConnectionQuotas _quotas = new(int.MaxValue, int.MaxValue, new Dictionary<IPAddress, int>(), null);
    private bool _closingListeners;

    public SocketServer(RequestRouter router, NetworkOptions options, TimeProvider time, ILogger logger)
    {
        _router = router;
        _options = options;
        _time = time;
        _logger = logger;
        _budget = new RequestBudget(options.QueuedMaxRequests, options.QueuedMaxRequestBytes);
        _refusalLog = new LogThrottle(time, TimeSpan.FromSeconds(10));
    }

    /// <summary>Open connections by address and in total (for tests and metrics).</summary>
    public ConnectionQuotas Quotas => _quotas;

    /// <summary>Requests in handlers, broker-wide.</summary>
    public RequestBudget Budget => _budget;

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
        // Kafka exempts the inter-broker listener only when it is not the sole listener.
        _quotas = new ConnectionQuotas(
            _options.MaxConnections,
            _options.MaxConnectionsPerIp,
            ConnectionQuotas.ResolveOverrides(_options.MaxConnectionsPerIpOverrides),
            listeners.Count > 1 ? _options.InterBrokerListenerName : null);
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

        if (_options.ConnectionsMaxIdle > TimeSpan.Zero)
        {
            _loops.Add(ReapIdleConnectionsAsync(_stopping.Token));
        }
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

            if (client.RemoteEndPoint is not IPEndPoint remote)
            {
                client.Dispose(); // gone before we could ask who it was
                continue;
            }

            bool admitted;
            try
            {
                // At max.connections this waits, and this listener accepts nobody else meanwhile.
                admitted = await _quotas.AdmitAsync(name, remote.Address, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                client.Dispose();
                return;
            }

            if (!admitted)
            {
                RefuseConnection(client, remote.Address);
                continue;
            }

            if (Volatile.Read(ref _closingListeners))
            {
                // The slot came free because the server is stopping: serve no one new.
                client.Dispose();
                _quotas.Remove(remote.Address);
                return;
            }

            try
            {
                client.NoDelay = true;
            }
            catch (SocketException)
            {
                // Reset before we got to it (macOS refuses the option then): gone, and its slot with it.
                LogGoneBeforeServed(_logger, remote);
                client.Dispose();
                _quotas.Remove(remote.Address);
                continue;
            }

            var connection = new KafkaConnection(client, _router, _options, _budget, name, _time, _logger, _draining.Token);
            _connections[connection] = RunConnectionAsync(connection, remote.Address, stopping);
        }
    }

    private void RefuseConnection(Socket client, IPAddress address)
    {
        // Closed without a word, as Kafka does: the client sees the connection drop and backs off.
        client.Dispose();
        if (_refusalLog.ShouldLog(out int suppressed))
        {
            string text = address.ToString();
            int limit = _quotas.LimitFor(address);
            LogRefused(_logger, text, limit, suppressed);
        }
    }

    private async Task RunConnectionAsync(KafkaConnection connection, IPAddress address, CancellationToken stopping)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync(stopping).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            _quotas.Remove(address);
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
        Volatile.Write(ref _closingListeners, true);
        foreach ((Socket socket, _) in _listeners)
        {
            socket.Dispose();
        }

        foreach (KafkaConnection connection in _connections.Keys)
        {
            connection.StopReceiving();
        }

        // In-flight requests are answered within the grace; a long poll is answered by ending its wait now.
        await _draining.CancelAsync().ConfigureAwait(false);

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
        _draining.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Awaiting socket connections on {Endpoint} ({Listener}).")]
    private static partial void LogListening(ILogger logger, string endpoint, string listener);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused a connection from {Address}: it already has the maximum of {Limit} connections (max.connections.per.ip); {Suppressed} more refusals since the last report.")]
    private static partial void LogRefused(ILogger logger, string address, int limit, int suppressed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Accepting a connection failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connection from {Remote} was reset before it could be served.")]
    private static partial void LogGoneBeforeServed(ILogger logger, IPEndPoint remote);
}
