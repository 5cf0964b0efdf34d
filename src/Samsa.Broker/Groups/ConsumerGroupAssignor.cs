namespace Samsa.Broker.Groups;

/// <summary>
/// A server-side partition assignor of the consumer group protocol (group.consumer.assignors):
/// turns the members' subscriptions and the subscribed topics' partitions into a target
/// assignment. Must be deterministic for a given input.
/// </summary>
internal abstract class ConsumerGroupAssignor
{
    public const string UniformName = "uniform";
    public const string RangeName = "range";

    public abstract string Name { get; }

    /// <param name="members">Every member, ordered by member id.</param>
    /// <param name="topics">The subscribed topics that exist, ordered by name.</param>
    /// <param name="current">The previous target assignment (assignors may keep partitions where they are).</param>
    public abstract Dictionary<string, HashSet<TopicIdPartition>> Assign(
        IReadOnlyList<AssignmentMember> members,
        IReadOnlyList<AssignmentTopic> topics,
        IReadOnlyDictionary<string, HashSet<TopicIdPartition>> current);

    /// <summary>The assignor named <paramref name="name"/>, or null when Samsa has none by that name.</summary>
    public static ConsumerGroupAssignor? ByName(string name) => name switch
    {
        UniformName => new UniformAssignor(),
        RangeName => new RangeAssignor(),
        _ => null,
    };
}

/// <summary>A member as an assignor sees it: its id and the names of the topics it subscribes to (resolved regex included).</summary>
internal sealed record AssignmentMember(string MemberId, IReadOnlySet<string> Topics);

/// <summary>A subscribed topic as an assignor sees it.</summary>
internal sealed record AssignmentTopic(string Name, Protocol.Primitives.Uuid TopicId, int PartitionCount);
