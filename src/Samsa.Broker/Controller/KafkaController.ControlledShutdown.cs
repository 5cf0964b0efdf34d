using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;

namespace Samsa.Broker.Controller;

/// <summary>
/// Controlled shutdown (ControlledShutdown API): a stopping broker asks the controller to move its
/// leaderships to other ISR members and to take it out of the ISRs it follows in, so clients move
/// on before its sockets close rather than after its session times out.
/// </summary>
internal sealed partial class KafkaController
{
    /// <returns>The error and the partitions the broker still leads (no other ISR member could take them).</returns>
    public Task<(ErrorCode Error, IReadOnlyList<(string Topic, int Partition)> Remaining)> ControlledShutdownAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken) =>
        RunToEndAsync(stopping => ControlledShutdownOnLoopAsync(brokerId, brokerEpoch, stopping), cancellationToken);

    private async Task<(ErrorCode, IReadOnlyList<(string, int)>)> ControlledShutdownOnLoopAsync(int brokerId, long brokerEpoch, CancellationToken cancellationToken)
    {
        if (!_isActive)
        {
            return (ErrorCode.NotController, []);
        }

        if (!_liveBrokers.TryGetValue(brokerId, out BrokerRegistration? registration))
        {
            return (ErrorCode.BrokerNotAvailable, []);
        }

        if (brokerEpoch != -1 && brokerEpoch < registration.BrokerEpoch)
        {
            return (ErrorCode.StaleBrokerEpoch, []);
        }

        _shuttingDown.Add(brokerId);
        var changed = new List<(string, int)>();
        var followed = new List<(string, int)>();
        var remaining = new List<(string, int)>();
        string? storeFailure = null;
        foreach (TopicInfo topic in _topics.Values)
        {
            foreach ((int partition, int[] replicas) in topic.Partitions)
            {
                // A single-replica partition has nowhere to go; it just goes offline with the broker, as in Kafka.
                if (replicas.Length <= 1 || Array.IndexOf(replicas, brokerId) < 0 || !_partitions.TryGetValue((topic.Name, partition), out PartitionLeadership? current))
                {
                    continue;
                }

                PartitionStateZNode state = current.State;
                if (storeFailure is not null)
                {
                    // Not tried on a store that is down; the stopping broker asks again.
                    if (state.Leader == brokerId)
                    {
                        remaining.Add((topic.Name, partition));
                    }

                    continue;
                }

                PartitionStateZNode? next;
                if (state.Leader == brokerId)
                {
                    next = Reelect(state, replicas, id => IsReplicaOnline(id, topic.Name, partition));
                    if (next is null || next.Leader == PartitionStateZNode.NoLeader)
                    {
                        remaining.Add((topic.Name, partition));
                        continue;
                    }
                }
                else
                {
                    // A follower leaves the ISR now, so acks=all stops waiting for it; it keeps its log.
                    int[] isr = Without(state.Isr, brokerId);
                    next = isr.Length == state.Isr.Length || isr.Length == 0 ? null : new PartitionStateZNode(_epoch, state.Leader, state.LeaderEpoch + 1, isr);
                    followed.Add((topic.Name, partition));
                }

                try
                {
                    if (next is not null && await WritePartitionStateAsync(topic.Name, partition, next, cancellationToken).ConfigureAwait(false))
                    {
                        changed.Add((topic.Name, partition));
                    }
                }
                catch (CoordinationException e) when (_isActive)
                {
                    // The store failed for good (a fenced controller resigned and lets it through:
                    // NOT_CONTROLLER). Leaderships moved before it stand and are still sent below,
                    // or their new leaders would never hear of them: a retry sees them moved already.
                    storeFailure = StoreFailure.Message(e);
                    if (state.Leader == brokerId)
                    {
                        remaining.Add((topic.Name, partition));
                    }
                }
            }
        }

        if (changed.Count > 0)
        {
            await SendAsync(changed, TopicsOf(changed), cancellationToken).ConfigureAwait(false);
        }

        await SendStopReplicaAsync(brokerId, followed, cancellationToken).ConfigureAwait(false);
        LogControlledShutdown(_logger, brokerId, remaining.Count);
        return (storeFailure is null ? ErrorCode.None : ErrorCode.RequestTimedOut, remaining);
    }

    private static int[] Without(int[] members, int brokerId)
    {
        int index = Array.IndexOf(members, brokerId);
        if (index < 0)
        {
            return members;
        }

        var result = new int[members.Length - 1];
        Array.Copy(members, 0, result, 0, index);
        Array.Copy(members, index + 1, result, index, members.Length - index - 1);
        return result;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Controlled shutdown of broker {BrokerId}: {Remaining} partitions still led by it.")]
    private static partial void LogControlledShutdown(Microsoft.Extensions.Logging.ILogger logger, int brokerId, int remaining);
}
