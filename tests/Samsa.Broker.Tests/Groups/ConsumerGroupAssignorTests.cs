using Samsa.Broker.Groups;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Tests.Groups;

/// <summary>The server-side assignors: complete, balanced, sticky (uniform), contiguous (range).</summary>
public sealed class ConsumerGroupAssignorTests
{
    private static readonly AssignmentTopic Orders = new("orders", new Uuid(1, 1), 7);
    private static readonly AssignmentTopic Payments = new("payments", new Uuid(2, 2), 3);

    [Fact]
    public void Uniform_assigns_every_partition_once_within_one_of_each_other()
    {
        Dictionary<string, HashSet<TopicIdPartition>> result = new UniformAssignor().Assign(
            [Member("a", "orders", "payments"), Member("b", "orders", "payments"), Member("c", "orders", "payments")],
            [Orders, Payments],
            new Dictionary<string, HashSet<TopicIdPartition>>());
        AssertComplete(result, 10);
        Assert.InRange(result.Values.Max(p => p.Count) - result.Values.Min(p => p.Count), 0, 1);
    }

    [Fact]
    public void Uniform_keeps_partitions_with_their_owners_when_a_member_joins()
    {
        var assignor = new UniformAssignor();
        Dictionary<string, HashSet<TopicIdPartition>> first = assignor.Assign([Member("a", "orders"), Member("b", "orders")], [Orders], new Dictionary<string, HashSet<TopicIdPartition>>());
        Dictionary<string, HashSet<TopicIdPartition>> second = assignor.Assign([Member("a", "orders"), Member("b", "orders"), Member("c", "orders")], [Orders], first);
        AssertComplete(second, 7);

        // Only what c needs moves: a and b each keep a subset of what they had.
        Assert.Subset(first["a"], second["a"]);
        Assert.Subset(first["b"], second["b"]);
        Assert.InRange(second["c"].Count, 2, 3);
    }

    [Fact]
    public void Uniform_gives_a_topic_only_to_its_subscribers()
    {
        Dictionary<string, HashSet<TopicIdPartition>> result = new UniformAssignor().Assign(
            [Member("a", "orders"), Member("b", "orders", "payments")],
            [Orders, Payments],
            new Dictionary<string, HashSet<TopicIdPartition>>());
        AssertComplete(result, 10);
        Assert.DoesNotContain(result["a"], p => p.TopicId == Payments.TopicId);
        Assert.Equal(5, result["a"].Count);
        Assert.Equal(5, result["b"].Count);
    }

    [Fact]
    public void Range_gives_contiguous_ranges_in_member_order_for_each_topic()
    {
        Dictionary<string, HashSet<TopicIdPartition>> result = new RangeAssignor().Assign(
            [Member("a", "orders", "payments"), Member("b", "orders", "payments")],
            [Orders, Payments],
            new Dictionary<string, HashSet<TopicIdPartition>>());
        AssertComplete(result, 10);
        Assert.Equal([0, 1, 2, 3], Indexes(result["a"], Orders));
        Assert.Equal([4, 5, 6], Indexes(result["b"], Orders));
        Assert.Equal([0, 1], Indexes(result["a"], Payments));
        Assert.Equal([2], Indexes(result["b"], Payments));
    }

    private static AssignmentMember Member(string id, params string[] topics) => new(id, new HashSet<string>(topics, StringComparer.Ordinal));

    private static int[] Indexes(HashSet<TopicIdPartition> partitions, AssignmentTopic topic) =>
        [.. partitions.Where(p => p.TopicId == topic.TopicId).Select(p => p.Partition).Order()];

    private static void AssertComplete(Dictionary<string, HashSet<TopicIdPartition>> result, int partitions)
    {
        var all = result.Values.SelectMany(p => p).ToList();
        Assert.Equal(partitions, all.Count);
        Assert.Equal(partitions, all.Distinct().Count());
    }
}
