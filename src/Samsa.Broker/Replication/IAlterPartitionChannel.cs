using Samsa.Protocol.Messages;

namespace Samsa.Broker.Replication;

/// <summary>
/// How a partition leader proposes an ISR change to the controller (Kafka's AlterPartition,
/// KIP-497/KIP-841). In-process when this broker is the controller, over the network otherwise.
/// </summary>
internal interface IAlterPartitionChannel
{
    ValueTask<AlterPartitionResponseData> SendAsync(AlterPartitionRequestData request, CancellationToken cancellationToken);
}
