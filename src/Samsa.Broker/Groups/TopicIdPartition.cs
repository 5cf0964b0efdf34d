using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Groups;

/// <summary>A partition named by its topic id, as the consumer group protocol (KIP-848) names partitions.</summary>
internal readonly record struct TopicIdPartition(Uuid TopicId, int Partition);
