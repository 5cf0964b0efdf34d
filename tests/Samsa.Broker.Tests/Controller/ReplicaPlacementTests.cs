using Samsa.Broker.Controller;

namespace Samsa.Broker.Tests.Controller;

/// <summary>Kafka's replica placement: round-robin with shifts, and its rack-aware variant.</summary>
public sealed class ReplicaPlacementTests
{
    [Fact]
    public void Rack_unaware_placement_matches_kafkas_documented_layout()
    {
        // AdminUtils' example: 5 brokers, 10 partitions, 3 replicas, start index and shift 0.
        Dictionary<int, int[]> assignment = ReplicaPlacement.Assign([0, 1, 2, 3, 4], 10, 3, 0, new FixedRandom());

        Assert.Equal([0, 1, 2], assignment[0]);
        Assert.Equal([1, 2, 3], assignment[1]);
        Assert.Equal([4, 0, 1], assignment[4]);

        // p5 starts the second round: the followers shift by one more.
        Assert.Equal([0, 2, 3], assignment[5]);
        Assert.Equal([4, 1, 2], assignment[9]);
    }

    [Fact]
    public void Brokers_are_interleaved_rack_by_rack()
    {
        var racks = new Dictionary<int, string> { [1] = "r1", [2] = "r1", [3] = "r2", [4] = "r3", [5] = "r3" };
        Assert.Equal([1, 3, 4, 2, 5], ReplicaPlacement.RackAlternated(racks));
    }

    [Fact]
    public void Rack_aware_placement_puts_each_partitions_replicas_on_different_racks_and_spreads_leaders()
    {
        (int, string?)[] brokers = [(1, "a"), (2, "a"), (3, "b"), (4, "b"), (5, "c"), (6, "c")];
        for (int seed = 0; seed < 20; seed++)
        {
            Dictionary<int, int[]>? assignment = ReplicaPlacement.Assign(brokers, 12, 3, 0, new Random(seed));
            Assert.NotNull(assignment);
            var leaders = new Dictionary<int, int>();
            foreach (int[] replicas in assignment.Values)
            {
                Assert.Equal(3, new HashSet<int>(replicas).Count);
                var rackSet = new HashSet<string?>();
                foreach (int replica in replicas)
                {
                    rackSet.Add(brokers[replica - 1].Item2);
                }

                Assert.Equal(3, rackSet.Count);
                leaders[replicas[0]] = leaders.GetValueOrDefault(replicas[0]) + 1;
            }

            Assert.Equal(6, leaders.Count);
            Assert.All(leaders.Values, count => Assert.Equal(2, count));
        }
    }

    [Fact]
    public void More_replicas_than_racks_still_use_every_rack_then_distinct_brokers()
    {
        (int, string?)[] brokers = [(1, "a"), (2, "a"), (3, "b"), (4, "b")];
        Dictionary<int, int[]>? assignment = ReplicaPlacement.Assign(brokers, 4, 3, 0, new Random(7));
        Assert.NotNull(assignment);
        foreach (int[] replicas in assignment.Values)
        {
            Assert.Equal(3, new HashSet<int>(replicas).Count);
            Assert.Contains(replicas, r => r <= 2);
            Assert.Contains(replicas, r => r >= 3);
        }
    }

    [Fact]
    public void Placement_is_refused_when_only_some_brokers_have_a_rack()
    {
        Assert.Null(ReplicaPlacement.Assign([(1, "a"), (2, null), (3, "b")], 3, 2, 0, new Random(1)));
        Assert.NotNull(ReplicaPlacement.Assign([(1, null), (2, null), (3, null)], 3, 2, 0, new Random(1)));
    }

    /// <summary>Start index and shift 0, as Kafka's tests fix them.</summary>
    private sealed class FixedRandom : Random
    {
        public override int Next(int maxValue) => 0;
    }
}
