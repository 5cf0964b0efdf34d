using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Samsa.Fuzzer;

/// <summary>
/// A loopback TCP proxy between real clients and the broker. While <see cref="Recording"/> is on,
/// it keeps a copy of every request frame the clients send; it always forwards both directions
/// unchanged. The broker advertises the proxy's address, so clients reach every broker API through it.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private const int MaxRecordedFrameBytes = 1024 * 1024;

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentQueue<byte[]> _frames = new();
    private readonly ConcurrentDictionary<Task, bool> _pumps = new();
    private int _brokerPort;
    private Task? _acceptLoop;
    private volatile bool _recording = true;

    public RecordingProxy()
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(128);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
    }

    /// <summary>The port clients connect to (and the broker advertises).</summary>
    public int Port { get; }

    public bool Recording
    {
        get => _recording;
        set => _recording = value;
    }

    /// <summary>Starts forwarding to the broker's real port (known only once it started).</summary>
    public void Start(int brokerPort)
    {
        _brokerPort = brokerPort;
        _acceptLoop = AcceptLoopAsync(_stopping.Token);
    }

    /// <summary>Request payloads (size prefix removed) in the order they were seen.</summary>
    public IReadOnlyList<byte[]> RecordedFrames() => [.. _frames];

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        await Task.WhenAll(_pumps.Keys).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Task pump = RelayAsync(client, stopping);
            _pumps[pump] = true;
            _ = pump.ContinueWith(t => _pumps.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task RelayAsync(Socket client, CancellationToken stopping)
    {
        using (client)
        using (var broker = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            client.NoDelay = true;
            broker.NoDelay = true;
            try
            {
                await broker.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _brokerPort), stopping).ConfigureAwait(false);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                Task up = PumpAsync(client, broker, record: true, done.Token);
                Task down = PumpAsync(broker, client, record: false, done.Token);
                await Task.WhenAny(up, down).ConfigureAwait(false);
                await done.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool record, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[64 * 1024];
        var pending = new List<byte>();
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                if (record && _recording)
                {
                    Record(pending, buffer.AsSpan(0, read));
                }

                int sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Splits the client's byte stream into frames; the stream is a real client's, so it is well formed.</summary>
    private void Record(List<byte> pending, ReadOnlySpan<byte> bytes)
    {
        pending.AddRange(bytes);
        while (pending.Count >= 4)
        {
            Span<byte> prefix = [pending[0], pending[1], pending[2], pending[3]];
            int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (size < 8 || size > MaxRecordedFrameBytes)
            {
                pending.Clear(); // not a frame we can keep; stop recording this connection's tail
                return;
            }

            if (pending.Count < 4 + size)
            {
                return;
            }

            _frames.Enqueue([.. pending.GetRange(4, size)]);

            pending.RemoveRange(0, 4 + size);
        }
    }
}
