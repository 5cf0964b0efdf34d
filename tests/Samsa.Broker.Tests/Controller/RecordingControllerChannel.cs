using Samsa.Broker.Controller;
using Samsa.Broker.ZNodes;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Controller;

/// <summary>
/// A controller channel that delivers nothing: it records every control request with its target
/// broker, and lets a test play a broker's LeaderAndIsr answer back to the controller.
/// </summary>
internal sealed class RecordingControllerChannel : IControllerChannel
{
    private readonly Lock _lock = new();
    private readonly List<(int BrokerId, IRequestData Request)> _sent = [];

    public event Action<LeaderAndIsrAnswer>? LeaderAndIsrAnswered;

    public void SetLiveBrokers(IReadOnlyCollection<BrokerRegistration> brokers)
    {
    }

    public ValueTask SendLeaderAndIsrAsync(int brokerId, LeaderAndIsrRequestData request, CancellationToken cancellationToken) => Record(brokerId, request);

    public ValueTask SendUpdateMetadataAsync(int brokerId, UpdateMetadataRequestData request, CancellationToken cancellationToken) => Record(brokerId, request);

    public ValueTask SendStopReplicaAsync(int brokerId, StopReplicaRequestData request, CancellationToken cancellationToken) => Record(brokerId, request);

    /// <summary>The requests of type <typeparamref name="T"/> sent so far, with their target brokers, in order.</summary>
    public List<(int BrokerId, T Request)> Sent<T>()
        where T : IRequestData
    {
        var sent = new List<(int, T)>();
        lock (_lock)
        {
            foreach ((int brokerId, IRequestData request) in _sent)
            {
                if (request is T typed)
                {
                    sent.Add((brokerId, typed));
                }
            }
        }

        return sent;
    }

    public void Clear()
    {
        lock (_lock)
        {
            _sent.Clear();
        }
    }

    /// <summary>A broker's answer arriving, as the network channel reports it.</summary>
    public void Answer(int brokerId, long brokerEpoch, LeaderAndIsrResponseData response) =>
        LeaderAndIsrAnswered?.Invoke(new LeaderAndIsrAnswer(brokerId, brokerEpoch, response));

    private ValueTask Record(int brokerId, IRequestData request)
    {
        lock (_lock)
        {
            _sent.Add((brokerId, request));
        }

        return ValueTask.CompletedTask;
    }
}
