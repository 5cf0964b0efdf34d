using System.Net;
using System.Net.Sockets;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>
/// A loopback TCP proxy in front of one server, to cut a client off without touching the server:
/// <see cref="Pause"/> closes every proxied connection and closes new ones as soon as they are
/// accepted (the client sees its server vanish, the server sees the client go); <see cref="Resume"/>
/// forwards again. What a network partition looks like to both sides, bounded and repeatable.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _acceptLoop;
    private volatile bool _paused;

    public TcpProxy(int targetPort)
    {
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        _listener.Start();
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public string Address => "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public void Pause()
    {
        _paused = true;
        CloseAll();
    }

    public void Resume() => _paused = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseAll();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private void CloseAll()
    {
        TcpClient[] open;
        lock (_open)
        {
            open = [.. _open];
            _open.Clear();
        }

        foreach (TcpClient client in open)
        {
            client.Dispose();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient downstream = await _listener.AcceptTcpClientAsync(_stop.Token);
            if (_paused)
            {
                downstream.Dispose();
                continue;
            }

            var upstream = new TcpClient(AddressFamily.InterNetwork);
            try
            {
                await upstream.ConnectAsync(_target, _stop.Token);
            }
            catch (SocketException)
            {
                upstream.Dispose();
                downstream.Dispose();
                continue;
            }

            lock (_open)
            {
                _open.Add(downstream);
                _open.Add(upstream);
            }

            _ = PumpAsync(downstream, upstream);
            _ = PumpAsync(upstream, downstream);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            NetworkStream source = from.GetStream();
            NetworkStream sink = to.GetStream();
            while (true)
            {
                int read = await source.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                await sink.WriteAsync(buffer.AsMemory(0, read));
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
        }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
