using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Samsa.Protocol.Messages;

namespace Samsa.Fuzzer;

/// <summary>
/// One fuzzing connection loop: connect, send a few rounds of captured and mutated requests
/// (sometimes several pipelined in one write, sometimes trickled in tiny writes), read what comes
/// back, and start over on a new connection when the broker closes it or stops answering.
/// </summary>
internal sealed class HostileConnection
{
    private static readonly TimeSpan ReplyDeadline = TimeSpan.FromSeconds(1);

    // With nothing owed, a short look for the broker's close (its usual answer to a bad frame).
    private static readonly TimeSpan CloseDeadline = TimeSpan.FromMilliseconds(100);
    private const int MaxResponseBytes = 64 * 1024 * 1024;

    private readonly int _port;
    private readonly IReadOnlyList<CorpusFrame> _corpus;
    private readonly FuzzStats _stats;
    private readonly Random _random;
    private readonly Action<string> _finding;
    // Every frame sent with a readable header, by correlation id; the broker may answer any of them.
    private readonly Dictionary<int, (ApiKey Key, short Version, MutationKind Kind)> _sent = [];

    // Correlation ids two frames on this connection carried (a splice or garbage can repeat one): answers to them are not inspected.
    private readonly HashSet<int> _ambiguous = [];

    // The subset that is well framed, so an answer or a close is owed.
    private readonly HashSet<int> _owed = [];
    private readonly byte[] _receiveBuffer = new byte[256 * 1024];
    // Far above the small ids librdkafka used in the captured frames, which splices and garbage can carry.
    private int _nextCorrelationId = 0x40000000;

    public HostileConnection(int port, IReadOnlyList<CorpusFrame> corpus, FuzzStats stats, int seed, Action<string> finding)
    {
        _port = port;
        _corpus = corpus;
        _stats = stats;
        _random = new Random(seed);
        _finding = finding;
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await OneConnectionAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException) when (!stopping.IsCancellationRequested)
            {
                _stats.CountConnectFailure();
                await Task.Delay(50, stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task OneConnectionAsync(CancellationToken stopping)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _port), stopping).ConfigureAwait(false);
        _stats.CountConnection();
        _sent.Clear();
        _owed.Clear();
        _ambiguous.Clear();
        int buffered = 0;
        int rounds = 1 + _random.Next(12);
        for (int round = 0; round < rounds && !stopping.IsCancellationRequested; round++)
        {
            int count = _random.Next(4) == 0 ? 2 + _random.Next(6) : 1;
            var wire = new List<byte[]>(count);
            for (int i = 0; i < count; i++)
            {
                wire.Add(NextFrame());
            }

            bool tiny = _random.Next(8) == 0;
            if (!await SendAsync(socket, wire, tiny, stopping).ConfigureAwait(false))
            {
                _stats.CountClosedByBroker();
                return;
            }

            (bool open, buffered) = await ReceiveAsync(socket, buffered, stopping).ConfigureAwait(false);
            if (!open)
            {
                _stats.CountClosedByBroker();
                return;
            }

            if (_owed.Count > 0)
            {
                // Still owed answers after the deadline: start clean on a new connection.
                _stats.CountUnanswered();
                return;
            }
        }
    }

    private byte[] NextFrame()
    {
        CorpusFrame frame = _corpus[_random.Next(_corpus.Count)];
        CorpusFrame other = _corpus[_random.Next(_corpus.Count)];
        MutationKind kind = Mutator.PickKind(_random);
        int correlationId = ++_nextCorrelationId;
        MutatedFrame mutated = Mutator.Mutate(frame, other, kind, correlationId, _random);
        _stats.CountSent(kind);
        byte[] bytes = mutated.Wire;
        if (bytes.Length >= 12)
        {
            var key = (ApiKey)BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(4));
            short version = BinaryPrimitives.ReadInt16BigEndian(bytes.AsSpan(6));
            int sentId = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
            if (!_sent.TryAdd(sentId, (key, version, kind)))
            {
                _ambiguous.Add(sentId);
            }

            // An answer (or a close) is owed only for a whole frame; produce with acks=0 owes nothing, hence the deadline.
            if (BinaryPrimitives.ReadInt32BigEndian(bytes) == bytes.Length - 4)
            {
                _owed.Add(sentId);
            }
        }

        return bytes;
    }

    private async Task<bool> SendAsync(Socket socket, List<byte[]> frames, bool tiny, CancellationToken stopping)
    {
        byte[] all = frames.Count == 1 ? frames[0] : [.. frames.SelectMany(f => f)];
        if (frames.Count > 1)
        {
            _stats.CountPipelined();
        }

        if (tiny)
        {
            _stats.CountTinyWrites();
        }

        try
        {
            int sent = 0;
            while (sent < all.Length)
            {
                int chunk = tiny ? Math.Min(all.Length - sent, 1 + _random.Next(7)) : all.Length - sent;
                sent += await socket.SendAsync(all.AsMemory(sent, chunk), SocketFlags.None, stopping).ConfigureAwait(false);
                if (tiny && _random.Next(16) == 0)
                {
                    await Task.Delay(1, stopping).ConfigureAwait(false);
                }
            }

            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Reads responses until none is owed, the broker closes, or the deadline passes.</summary>
    private async Task<(bool Open, int Buffered)> ReceiveAsync(Socket socket, int buffered, CancellationToken stopping)
    {
        bool owing = _owed.Count > 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(owing ? ReplyDeadline : CloseDeadline);
        while (!owing || _owed.Count > 0)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(_receiveBuffer.AsMemory(buffered), SocketFlags.None, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                return (true, buffered);
            }
            catch (SocketException)
            {
                return (false, 0);
            }

            if (read == 0)
            {
                return (false, 0);
            }

            buffered += read;
            buffered = TakeResponses(buffered);
            if (buffered < 0)
            {
                return (false, 0);
            }
        }

        return (true, buffered);
    }

    /// <summary>Inspects every whole response in the buffer; returns the bytes left over, or -1 if the stream is not Kafka framing.</summary>
    private int TakeResponses(int buffered)
    {
        int start = 0;
        while (buffered - start >= 4)
        {
            int size = BinaryPrimitives.ReadInt32BigEndian(_receiveBuffer.AsSpan(start));
            if (size < 4 || size > MaxResponseBytes)
            {
                _finding($"broker sent a response frame of size {size}");
                return -1;
            }

            if (size + 4 > _receiveBuffer.Length)
            {
                // Larger than our buffer (a big fetch): not worth growing for; drop the connection.
                return -1;
            }

            if (buffered - start < 4 + size)
            {
                break;
            }

            int correlationId = BinaryPrimitives.ReadInt32BigEndian(_receiveBuffer.AsSpan(start + 4));
            _owed.Remove(correlationId);
            if (_ambiguous.Contains(correlationId))
            {
                _stats.CountUnmatched();
            }
            else if (_sent.Remove(correlationId, out (ApiKey Key, short Version, MutationKind Kind) request))
            {
                ResponseVerdict verdict = ResponseInspector.Inspect(_receiveBuffer.AsMemory(start + 4, size), request.Key, request.Version);
                _stats.CountResponse(verdict);
                if (verdict == ResponseVerdict.Undecodable)
                {
                    _finding($"undecodable {request.Key} v{request.Version} response to a {request.Kind} frame ({size} bytes): {Convert.ToHexString(_receiveBuffer.AsSpan(start + 4, Math.Min(size, 48)))}");
                }
            }
            else
            {
                // Possible without a broker bug: a lying size prefix earlier in a pipelined write desyncs the stream.
                _stats.CountUnmatched();
            }

            start += 4 + size;
        }

        _receiveBuffer.AsSpan(start, buffered - start).CopyTo(_receiveBuffer);
        return buffered - start;
    }
}
