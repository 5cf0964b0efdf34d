using System.Diagnostics;
using System.Net.Sockets;
using Samsa.Protocol;

namespace Samsa.LoadGenerator;

/// <summary>
/// One fetch connection with <c>--in-flight</c> slots (<see cref="FetchSlot"/>), each with one
/// request outstanding. Responses come back in send order; each is scanned into the slot that
/// sent it, which then sends its next request. Nothing is allocated per request.
/// </summary>
internal sealed class FetchConnectionLoop : IAsyncDisposable
{
    private readonly BrokerConnection _connection;
    private readonly FetchSlot[] _slots;
    private readonly PhaseLimit _limit;
    private readonly short _version;

    public FetchConnectionLoop(BrokerConnection connection, FetchSlot[] slots, PhaseLimit limit, short version)
    {
        _connection = connection;
        _slots = slots;
        _limit = limit;
        _version = version;
    }

    public LatencyHistogram Latency { get; } = new();

    public ErrorTally Errors { get; } = new();

    public long Requests { get; private set; }

    public long FinishedAt { get; private set; }

    public IReadOnlyList<FetchSlot> Slots => _slots;

    public async Task RunAsync()
    {
        try
        {
            await RunPipelinedAsync();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or ProtocolException or OperationCanceledException)
        {
            Errors.AddFailure($"connection failed: {e.Message}");
        }
    }

    private async Task RunPipelinedAsync()
    {
        int capacity = _slots.Length;
        var order = new int[capacity]; // slots in send order, oldest at head
        var sentAt = new long[capacity];
        var correlationIds = new int[capacity];
        int head = 0;
        int inFlight = 0;
        for (int slot = 0; slot < capacity && !_slots[slot].Done && _limit.TryTake(Stopwatch.GetTimestamp()); slot++)
        {
            order[inFlight] = slot;
            await SendAsync(slot, sentAt, correlationIds);
            inFlight++;
        }

        while (inFlight > 0)
        {
            ReadOnlyMemory<byte> frame = await _connection.ReadFrameAsync();
            long now = Stopwatch.GetTimestamp();
            int slot = order[head];
            FetchSlot answered = _slots[slot];
            Latency.Record(PhaseLimit.ToMicroseconds(now - sentAt[slot]));
            (ErrorCode error, int sessionId) = FetchResponseScanner.Scan(frame, correlationIds[slot], _version, answered, Errors);
            answered.OnResponse(error, sessionId);
            Requests++;
            FinishedAt = now;
            inFlight--;
            head = head + 1 == capacity ? 0 : head + 1;
            if (!answered.Done && _limit.TryTake(now))
            {
                order[(head + inFlight) % capacity] = slot;
                await SendAsync(slot, sentAt, correlationIds);
                inFlight++;
            }
        }
    }

    private ValueTask SendAsync(int slot, long[] sentAt, int[] correlationIds)
    {
        int correlationId = _connection.NextCorrelationId();
        correlationIds[slot] = correlationId;
        ReadOnlyMemory<byte> frame = _slots[slot].Prepare(correlationId);
        sentAt[slot] = Stopwatch.GetTimestamp();
        return _connection.SendAsync(frame);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        foreach (FetchSlot slot in _slots)
        {
            slot.Dispose();
        }
    }
}
