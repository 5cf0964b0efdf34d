using Microsoft.Extensions.Logging;
using Samsa.Broker.InterBroker;
using Samsa.Broker.ZNodes;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// Cluster mode's controller channel: one <see cref="ControllerRequestSender"/> (ordered queue,
/// connection, retry loop) per other live broker, reached on its inter-broker listener as
/// registered in /brokers/ids; the controller's own broker is served in-process. Senders are
/// changed only from the controller loop (<see cref="SetLiveBrokers"/>); retired senders stop in
/// the background and are awaited on dispose.
/// </summary>
internal sealed class NetworkControllerChannel(
    int localBrokerId,
    ControlRequestReceiver local,
    string interBrokerListener,
    BrokerClientOptions clientOptions,
    TimeProvider time,
    ILogger logger) : IControllerChannel, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, ControllerRequestSender> _senders = [];
    private readonly List<Task> _retiring = [];
    private bool _disposed;

    public event Action<LeaderAndIsrAnswer>? LeaderAndIsrAnswered;

    public void SetLiveBrokers(IReadOnlyCollection<BrokerRegistration> brokers)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            var live = new HashSet<int>();
            foreach (BrokerRegistration broker in brokers)
            {
                if (broker.BrokerId == localBrokerId || EndpointOf(broker) is not (string host, int port))
                {
                    continue;
                }

                live.Add(broker.BrokerId);
                if (_senders.TryGetValue(broker.BrokerId, out ControllerRequestSender? existing))
                {
                    if (existing.BrokerEpoch == broker.BrokerEpoch && existing.Host == host && existing.Port == port)
                    {
                        continue;
                    }

                    // Registered again (restarted): what was queued was meant for the old registration.
                    Retire(existing);
                }

                var client = new BrokerClient(host, port, "controller-" + localBrokerId.ToString(System.Globalization.CultureInfo.InvariantCulture), clientOptions, logger);
                _senders[broker.BrokerId] = new ControllerRequestSender(broker.BrokerId, broker.BrokerEpoch, host, port, client, time, logger, answer => LeaderAndIsrAnswered?.Invoke(answer));
            }

            var gone = new List<int>();
            foreach (int id in _senders.Keys)
            {
                if (!live.Contains(id))
                {
                    gone.Add(id);
                }
            }

            foreach (int id in gone)
            {
                Retire(_senders[id]);
                _senders.Remove(id);
            }
        }
    }

    public async ValueTask SendLeaderAndIsrAsync(int brokerId, LeaderAndIsrRequestData request, CancellationToken cancellationToken)
    {
        if (brokerId == localBrokerId)
        {
            LeaderAndIsrResponseData response = await local.ApplyLeaderAndIsrAsync(request, cancellationToken).ConfigureAwait(false);
            LeaderAndIsrAnswered?.Invoke(new LeaderAndIsrAnswer(brokerId, request.BrokerEpoch, response));
            return;
        }

        Enqueue(brokerId, request, KafkaController.LeaderAndIsrVersion);
    }

    public async ValueTask SendUpdateMetadataAsync(int brokerId, UpdateMetadataRequestData request, CancellationToken cancellationToken)
    {
        if (brokerId == localBrokerId)
        {
            await local.ApplyUpdateMetadataAsync(request, cancellationToken).ConfigureAwait(false);
            return;
        }

        Enqueue(brokerId, request, KafkaController.UpdateMetadataVersion);
    }

    public async ValueTask SendStopReplicaAsync(int brokerId, StopReplicaRequestData request, CancellationToken cancellationToken)
    {
        if (brokerId == localBrokerId)
        {
            await local.ApplyStopReplicaAsync(request, cancellationToken).ConfigureAwait(false);
            return;
        }

        Enqueue(brokerId, request, KafkaController.StopReplicaVersion);
    }

    private void Enqueue(int brokerId, IRequestData request, short version)
    {
        lock (_lock)
        {
            // No sender: the broker is not live (anymore); Kafka drops such requests too.
            if (_senders.TryGetValue(brokerId, out ControllerRequestSender? sender))
            {
                sender.Enqueue(request, version);
            }
        }
    }

    /// <summary>The registered endpoint of the inter-broker listener, else the first one.</summary>
    private (string Host, int Port)? EndpointOf(BrokerRegistration broker)
    {
        foreach ((string listener, string host, int port) in broker.Endpoints)
        {
            if (string.Equals(listener, interBrokerListener, StringComparison.Ordinal))
            {
                return (host, port);
            }
        }

        return broker.Endpoints.Count > 0 ? (broker.Endpoints[0].Host, broker.Endpoints[0].Port) : null;
    }

    private void Retire(ControllerRequestSender sender)
    {
        _retiring.RemoveAll(static t => t.IsCompleted);
        _retiring.Add(sender.DisposeAsync().AsTask());
    }

    public async ValueTask DisposeAsync()
    {
        Task[] stopping;
        lock (_lock)
        {
            _disposed = true;
            foreach (ControllerRequestSender sender in _senders.Values)
            {
                Retire(sender);
            }

            _senders.Clear();
            stopping = [.. _retiring];
            _retiring.Clear();
        }

        await Task.WhenAll(stopping).ConfigureAwait(false);
    }
}
