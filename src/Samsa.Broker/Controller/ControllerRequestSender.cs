using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Samsa.Broker.InterBroker;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// The controller's queue to one other broker (one registration of it: a broker that registers
/// again gets a new sender): control requests go out one at a time, in the order the controller
/// made its decisions, each retried until delivered or until this sender is stopped because the
/// broker left the live set. Owned by <see cref="NetworkControllerChannel"/>; its loop is the only
/// user of the connection.
/// <para>
/// The queue is not capped: the controller adds a few requests per event, and a broker that cannot
/// be reached is dropped from the live set within its session timeout, which drops the queue too.
/// </para>
/// </summary>
internal sealed partial class ControllerRequestSender : IAsyncDisposable
{
    /// <summary>Pause before resending to an unreachable broker (Kafka's controller backs off 100 ms).</summary>
    internal static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(100);

    private readonly Channel<(IRequestData Request, short Version)> _queue =
        Channel.CreateUnbounded<(IRequestData, short)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly BrokerClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private readonly Action<LeaderAndIsrAnswer>? _answered;

    /// <param name="answered">Called with each LeaderAndIsr answer received (on this sender's loop).</param>
    public ControllerRequestSender(int brokerId, long brokerEpoch, string host, int port, BrokerClient client, TimeProvider time, ILogger logger, Action<LeaderAndIsrAnswer>? answered = null)
    {
        _answered = answered;
        BrokerId = brokerId;
        BrokerEpoch = brokerEpoch;
        Host = host;
        Port = port;
        _client = client;
        _time = time;
        _logger = logger;
        _loop = RunAsync();
    }

    public int BrokerId { get; }

    public long BrokerEpoch { get; }

    public string Host { get; }

    public int Port { get; }

    public void Enqueue(IRequestData request, short version) => _queue.Writer.TryWrite((request, version));

    private async Task RunAsync()
    {
        await Task.Yield();
        CancellationToken stopping = _stopping.Token;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                while (_queue.Reader.TryRead(out (IRequestData Request, short Version) next))
                {
                    await DeliverAsync(next.Request, next.Version, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task DeliverAsync(IRequestData request, short version, CancellationToken stopping)
    {
        bool reported = false;
        while (true)
        {
            try
            {
                short error = request switch
                {
                    LeaderAndIsrRequestData leaderAndIsr => Answered(leaderAndIsr, await _client.SendAsync<LeaderAndIsrResponseData>(request, version, stopping).ConfigureAwait(false)),
                    UpdateMetadataRequestData => (await _client.SendAsync<UpdateMetadataResponseData>(request, version, stopping).ConfigureAwait(false)).ErrorCode,
                    StopReplicaRequestData => (await _client.SendAsync<StopReplicaResponseData>(request, version, stopping).ConfigureAwait(false)).ErrorCode,
                    _ => throw new InvalidOperationException($"Not a control request: {request.ApiKey}."),
                };
                if (error != (short)ErrorCode.None)
                {
                    // Delivered but refused (a newer controller, or a newer registration, exists): nothing to retry.
                    LogRefused(_logger, request.ApiKey, BrokerId, (ErrorCode)error);
                }

                return;
            }
            catch (BrokerClientException e)
            {
                // Once per request: a dead broker is retried every backoff until its session times out.
                if (!reported)
                {
                    reported = true;
                    LogUnreachable(_logger, request.ApiKey, BrokerId, Host, Port, e.Message);
                }

                await Task.Delay(RetryBackoff, _time, stopping).ConfigureAwait(false);
            }
        }
    }

    private short Answered(LeaderAndIsrRequestData request, LeaderAndIsrResponseData response)
    {
        _answered?.Invoke(new LeaderAndIsrAnswer(BrokerId, request.BrokerEpoch, response));
        return response.ErrorCode;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Broker {BrokerId} refused {Api} from the controller: {Error}.")]
    private static partial void LogRefused(ILogger logger, ApiKey api, int brokerId, ErrorCode error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller cannot send {Api} to broker {BrokerId} at {Host}:{Port} yet, retrying: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, ApiKey api, int brokerId, string host, int port, string reason);
}
