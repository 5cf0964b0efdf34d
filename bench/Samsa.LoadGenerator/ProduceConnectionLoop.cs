using System.Diagnostics;
using System.Net.Sockets;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.LoadGenerator;

/// <summary>
/// One produce connection: keeps up to <c>--in-flight</c> copies of its pre-encoded request
/// outstanding, and for each response that comes back (in order) records the latency, counts the
/// acknowledged partitions and sends the next request. With acks=0 the broker sends no responses,
/// so the loop only sends, then waits for the answer to one ApiVersions request. Nothing is
/// allocated per request.
/// </summary>
internal sealed class ProduceConnectionLoop : IAsyncDisposable
{
    private const short FenceVersion = 3;

    private readonly BrokerConnection _connection;
    private readonly ProduceRequestTemplate _template;
    private readonly PhaseLimit _limit;
    private readonly long[] _sentAt;
    private readonly bool _expectResponses;
    private readonly string _clientId;

    public ProduceConnectionLoop(BrokerConnection connection, ProduceRequestTemplate template, PhaseLimit limit, int inFlight, bool expectResponses, string clientId)
    {
        _connection = connection;
        _template = template;
        _limit = limit;
        _sentAt = new long[inFlight];
        _expectResponses = expectResponses;
        _clientId = clientId;
    }

    public LatencyHistogram Latency { get; } = new();

    public ErrorTally Errors { get; } = new();

    /// <summary>Requests answered (acks=0: sent).</summary>
    public long Requests { get; private set; }

    /// <summary>Partitions acknowledged without error (acks=0: sent).</summary>
    public long AcknowledgedPartitions { get; private set; }

    /// <summary>Stopwatch timestamp of the last response (acks=0: the answer to the closing ApiVersions).</summary>
    public long FinishedAt { get; private set; }

    public async Task RunAsync(int partitionsPerRequest)
    {
        try
        {
            if (_expectResponses)
            {
                await RunPipelinedAsync();
            }
            else
            {
                await RunFireAndForgetAsync(partitionsPerRequest);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or ProtocolException or OperationCanceledException)
        {
            Errors.AddFailure($"connection failed: {e.Message}");
        }
    }

    private async Task RunPipelinedAsync()
    {
        int capacity = _sentAt.Length;
        int head = 0; // slot of the oldest request in flight
        int inFlight = 0;
        int firstUnanswered = 0;
        while (inFlight < capacity && _limit.TryTake(Stopwatch.GetTimestamp()))
        {
            await SendAsync((head + inFlight) % capacity);
            inFlight++;
        }

        while (inFlight > 0)
        {
            ReadOnlyMemory<byte> frame = await _connection.ReadFrameAsync();
            long now = Stopwatch.GetTimestamp();
            Latency.Record(PhaseLimit.ToMicroseconds(now - _sentAt[head]));
            AcknowledgedPartitions += ProduceResponseScanner.Scan(frame, firstUnanswered++, Errors);
            Requests++;
            FinishedAt = now;
            inFlight--;
            head = head + 1 == capacity ? 0 : head + 1;
            if (_limit.TryTake(now))
            {
                await SendAsync((head + inFlight) % capacity);
                inFlight++;
            }
        }
    }

    private async Task RunFireAndForgetAsync(int partitionsPerRequest)
    {
        while (_limit.TryTake(Stopwatch.GetTimestamp()))
        {
            await SendAsync(0);
            Requests++;
            AcknowledgedPartitions += partitionsPerRequest;
        }

        // A broker handles a connection's requests in order, so the answer to one last request
        // means every Produce before it was appended: the phase ends then, not at the last send.
        _ = await _connection.RequestAsync<ApiVersionsResponseData>(new ApiVersionsRequestData { ClientSoftwareName = "samsa-loadgen", ClientSoftwareVersion = "1" }, FenceVersion, _clientId);
        FinishedAt = Stopwatch.GetTimestamp();
    }

    private ValueTask SendAsync(int slot)
    {
        _template.SetCorrelationId(_connection.NextCorrelationId());
        _sentAt[slot] = Stopwatch.GetTimestamp();
        return _connection.SendAsync(_template.Bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync();
        _template.Dispose();
    }
}
