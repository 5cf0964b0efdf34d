using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Metadata;

/// <summary>A live broker as the metadata cache knows it.</summary>
internal sealed record BrokerNode(int Id, IReadOnlyList<BrokerEndpoint> Endpoints, string? Rack)
{
    public BrokerEndpoint? EndpointFor(string listener)
    {
        foreach (BrokerEndpoint endpoint in Endpoints)
        {
            if (string.Equals(endpoint.Listener, listener, StringComparison.Ordinal))
            {
                return endpoint;
            }
        }

        return null;
    }
}

/// <summary>One advertised listener of a broker.</summary>
internal sealed record BrokerEndpoint(string Listener, string Host, int Port);

/// <summary>A partition's placement and leadership, as last told by the controller.</summary>
internal sealed record PartitionState(int Partition, int Leader, int LeaderEpoch, int[] Replicas, int[] Isr, int[] OfflineReplicas, int PartitionEpoch);

/// <summary>A topic as the metadata cache knows it; partitions are indexed by partition id.</summary>
internal sealed record TopicState(string Name, Uuid TopicId, PartitionState[] Partitions)
{
    public bool IsInternal => Name.StartsWith("__", StringComparison.Ordinal);
}
