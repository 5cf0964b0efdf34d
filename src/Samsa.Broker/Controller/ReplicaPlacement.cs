namespace Samsa.Broker.Controller;

/// <summary>
/// Kafka's rack-unaware replica assignment: leaders spread round-robin from a random start,
/// followers shifted so that replicas of consecutive partitions land on different brokers.
/// </summary>
internal static class ReplicaPlacement
{
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
                replicas[j + 1] = sorted[(leaderIndex + 1 + ((shift + j) % (n - 1))) % n];
            }

            assignment[p] = replicas;
        }

        return assignment;
    }
}
