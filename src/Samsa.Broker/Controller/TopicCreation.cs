using Samsa.Protocol;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Controller;

/// <summary>One topic to create, as asked by CreateTopics (or by auto-creation).</summary>
/// <param name="NumPartitions">-1: the broker's num.partitions.</param>
/// <param name="ReplicationFactor">-1: the broker's default.replication.factor.</param>
/// <param name="Assignment">Explicit replicas per partition (--replica-assignment), or null.</param>
internal sealed record TopicCreation(
    string Name,
    int NumPartitions,
    int ReplicationFactor,
    IReadOnlyDictionary<int, int[]>? Assignment,
    IReadOnlyDictionary<string, string> Configs);

/// <summary>The outcome for one topic: an error code and message, or what was (or would be) created.</summary>
internal sealed record TopicCreationResult(string Name, ErrorCode Error, string? Message, Uuid TopicId, int NumPartitions, int ReplicationFactor)
{
    public static TopicCreationResult Failed(string name, ErrorCode error, string message) => new(name, error, message, Uuid.Zero, -1, -1);
}
