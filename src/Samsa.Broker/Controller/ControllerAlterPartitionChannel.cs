using Microsoft.Extensions.Logging;
using Samsa.Broker.InterBroker;
using Samsa.Broker.Metadata;
using Samsa.Broker.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// How this broker's partition leaders reach the controller with AlterPartition: in-process when
/// this broker is the controller, else over one connection to the controller broker named by the
/// metadata cache (reached on the inter-broker listener). NOT_CONTROLLER, an unknown controller or
/// an unreachable one are retried after a backoff until the caller cancels: the controller moved,
/// and UpdateMetadata will say where. Any other answer is the caller's to act on. Safe to call
/// concurrently; one request at a time goes to the network (the leader has one change in flight
/// per partition anyway).
/// </summary>
internal sealed partial class ControllerAlterPartitionChannel(
    int brokerId,
    KafkaController controller,
    MetadataCache metadata,
    string interBrokerListener,
    BrokerClientOptions clientOptions,
    TimeProvider time,
    ILogger logger) : IAlterPartitionChannel, IAsyncDisposable
{
    /// <summary>Wait before asking again when the controller is unknown, moved or unreachable.</summary>
    internal static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(100);

    /// <summary>AlterPartition v3: topic ids and ISR members with broker epochs (KIP-903); the controller reads v0-3.</summary>
    private const short NetworkVersion = 3;

    private readonly SemaphoreSlim _sending = new(1, 1);
    private BrokerClient? _client;

    public async ValueTask<AlterPartitionResponseData> SendAsync(AlterPartitionRequestData request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        while (true)
        {
            AlterPartitionResponseData? response = await TrySendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response is not null && response.ErrorCode != (short)ErrorCode.NotController)
            {
                return response;
            }

            await Task.Delay(RetryBackoff, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <returns>The controller's answer, or null when no controller could be asked.</returns>
    private async ValueTask<AlterPartitionResponseData?> TrySendAsync(AlterPartitionRequestData request, CancellationToken cancellationToken)
    {
        if (controller.IsActive)
        {
            return await controller.AlterPartitionAsync(request, cancellationToken).ConfigureAwait(false);
        }

        MetadataCache.Snapshot snapshot = metadata.Current;
        if (snapshot.ControllerId < 0 || snapshot.ControllerId == brokerId
            || !snapshot.Brokers.TryGetValue(snapshot.ControllerId, out BrokerNode? node)
            || (node.EndpointFor(interBrokerListener) ?? (node.Endpoints.Count > 0 ? node.Endpoints[0] : null)) is not BrokerEndpoint endpoint)
        {
            return null;
        }

        await _sending.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_client is null || _client.Host != endpoint.Host || _client.Port != endpoint.Port)
            {
                if (_client is not null)
                {
                    await _client.DisposeAsync().ConfigureAwait(false);
                }

                _client = new BrokerClient(endpoint.Host, endpoint.Port, "alter-partition-" + brokerId.ToString(System.Globalization.CultureInfo.InvariantCulture), clientOptions, logger);
            }

            return await _client.SendAsync<AlterPartitionResponseData>(request, VersionFor(request), cancellationToken).ConfigureAwait(false);
        }
        catch (BrokerClientException e)
        {
            LogUnreachable(logger, snapshot.ControllerId, e.Message);
            return null;
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>v3 when topics are named by id (the leader knows them all), else v1 (names, plain ISR).</summary>
    private static short VersionFor(AlterPartitionRequestData request)
    {
        foreach (AlterPartitionRequestData.TopicData topic in request.Topics)
        {
            if (topic.TopicId.IsZero)
            {
                return 1;
            }

            foreach (AlterPartitionRequestData.PartitionData partition in topic.Partitions)
            {
                if (partition.NewIsrWithEpochs.Count == 0 && partition.NewIsr.Count > 0)
                {
                    // Plain ISR with ids: v2 carries ids without per-member epochs.
                    return 2;
                }
            }
        }

        return NetworkVersion;
    }

    public async ValueTask DisposeAsync()
    {
        await _sending.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_client is not null)
            {
                await _client.DisposeAsync().ConfigureAwait(false);
                _client = null;
            }
        }
        finally
        {
            _sending.Release();
        }

        _sending.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "AlterPartition cannot reach controller {ControllerId} yet, retrying: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, int controllerId, string reason);
}
