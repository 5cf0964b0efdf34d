namespace Samsa.Broker.Controller;

/// <summary>
/// Kafka's replica assignment (AdminUtils.assignReplicasToBrokers, ZooKeeper mode): leaders spread
/// round-robin from a random start, followers shifted so that replicas of consecutive partitions
/// land on different brokers; with racks, brokers are first interleaved rack by rack and a
/// follower goes to a rack (then a broker) that has no replica of the partition yet, while one is
/// left.
/// </summary>
internal static class ReplicaPlacement
{
    /// <summary>Rack-unaware placement.</summary>
    /// <param name="brokers">Live broker ids; sorted here.</param>
    /// <param name="firstPartition">Id of the first new partition (non-zero when partitions are added).</param>
    public static Dictionary<int, int[]> Assign(IReadOnlyList<int> brokers, int partitions, int replicationFactor, int firstPartition, Random random)
    {
        var sorted = new List<int>(brokers);
        sorted.Sort();
        int n = sorted.Count;
        int startIndex = random.Next(n);
        int shift = random.Next(n);
        var assignment = new Dictionary<int, int[]>(partitions);
        for (int i = 0; i < partitions; i++)
        {
            int p = firstPartition + i;
            if (p > 0 && p % n == 0)
            {
                shift++;
            }

            int leaderIndex = (p + startIndex) % n;
            var replicas = new int[replicationFactor];
            replicas[0] = sorted[leaderIndex];
            for (int j = 0; j < replicationFactor - 1; j++)
            {
                replicas[j + 1] = sorted[FollowerIndex(leaderIndex, shift, j, n)];
            }

            assignment[p] = replicas;
        }

        return assignment;
    }

    /// <summary>
    /// Placement over brokers with racks: rack-aware when every broker has one, rack-unaware when
    /// none has; null when only some have (Kafka refuses: "Not all brokers have rack information").
    /// </summary>
    public static Dictionary<int, int[]>? Assign(IReadOnlyList<(int Id, string? Rack)> brokers, int partitions, int replicationFactor, int firstPartition, Random random)
    {
        int withRack = 0;
        var ids = new List<int>(brokers.Count);
        foreach ((int id, string? rack) in brokers)
        {
            ids.Add(id);
            withRack += rack is null ? 0 : 1;
        }

        if (withRack == 0)
        {
            return Assign(ids, partitions, replicationFactor, firstPartition, random);
        }

        if (withRack != brokers.Count)
        {
            return null;
        }

        var rackOf = new Dictionary<int, string>(brokers.Count);
        foreach ((int id, string? rack) in brokers)
        {
            rackOf[id] = rack!;
        }

        List<int> arranged = RackAlternated(rackOf);
        int n = arranged.Count;
        int racks = new HashSet<string>(rackOf.Values, StringComparer.Ordinal).Count;
        int startIndex = random.Next(n);
        int shift = random.Next(n);
        var assignment = new Dictionary<int, int[]>(partitions);
        for (int i = 0; i < partitions; i++)
        {
            int p = firstPartition + i;
            if (p > 0 && p % n == 0)
            {
                shift++;
            }

            int leaderIndex = (p + startIndex) % n;
            int leader = arranged[leaderIndex];
            var replicas = new List<int>(replicationFactor) { leader };
            var racksUsed = new HashSet<string>(StringComparer.Ordinal) { rackOf[leader] };
            var brokersUsed = new HashSet<int> { leader };
            int k = 0;
            for (int j = 0; j < replicationFactor - 1; j++)
            {
                while (true)
                {
                    int broker = arranged[FollowerIndex(leaderIndex, shift * racks, k, n)];
                    string rack = rackOf[broker];
                    k++;

                    // Skip a broker whose rack already has a replica while some rack has none, and a
                    // broker that has one while some broker has none.
                    if ((!racksUsed.Contains(rack) || racksUsed.Count == racks) && (!brokersUsed.Contains(broker) || brokersUsed.Count == n))
                    {
                        replicas.Add(broker);
                        racksUsed.Add(rack);
                        brokersUsed.Add(broker);
                        break;
                    }
                }
            }

            assignment[p] = [.. replicas];
        }

        return assignment;
    }

    /// <summary>The j-th follower's index: 1 + (shift + j) mod (n - 1) places after the leader.</summary>
    private static int FollowerIndex(int leaderIndex, int shift, int j, int n) => (leaderIndex + 1 + ((shift + j) % (n - 1))) % n;

    /// <summary>
    /// Brokers interleaved by rack: racks in name order, each rack's brokers in id order, one from
    /// each rack in turn (r1: 1,2; r2: 3; r3: 4,5 gives 1,3,4,2,5).
    /// </summary>
    internal static List<int> RackAlternated(Dictionary<int, string> rackOf)
    {
        var byRack = new SortedDictionary<string, List<int>>(StringComparer.Ordinal);
        foreach ((int id, string rack) in rackOf)
        {
            if (!byRack.TryGetValue(rack, out List<int>? members))
            {
                members = [];
                byRack[rack] = members;
            }

            members.Add(id);
        }

        var queues = new List<Queue<int>>(byRack.Count);
        foreach (List<int> members in byRack.Values)
        {
            members.Sort();
            queues.Add(new Queue<int>(members));
        }

        var result = new List<int>(rackOf.Count);
        for (int r = 0; result.Count < rackOf.Count; r = (r + 1) % queues.Count)
        {
            if (queues[r].TryDequeue(out int broker))
            {
                result.Add(broker);
            }
        }

        return result;
    }
}
