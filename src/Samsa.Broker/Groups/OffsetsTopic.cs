namespace Samsa.Broker.Groups;

/// <summary>
/// The internal topic that holds group metadata and committed offsets, and the mapping of a group
/// to its partition. The mapping must match Kafka's exactly: clients never compute it, but a
/// broker of another implementation reading the same topic (or a mixed cluster) must agree.
/// </summary>
internal static class OffsetsTopic
{
    public const string Name = "__consumer_offsets";

    /// <summary>Kafka's <c>Utils.abs(groupId.hashCode()) % partitions</c>.</summary>
    public static int PartitionFor(string groupId, int partitionCount)
    {
        int hash = JavaHashCode(groupId);
        // Utils.abs maps int.MinValue to 0 (it masks the sign bit) rather than overflowing.
        int abs = hash == int.MinValue ? 0 : Math.Abs(hash);
        return abs % partitionCount;
    }

    /// <summary>Java's String.hashCode: h = 31h + c over UTF-16 code units, wrapping at 32 bits.</summary>
    public static int JavaHashCode(string value)
    {
        int h = 0;
        foreach (char c in value)
        {
            h = unchecked((31 * h) + c);
        }

        return h;
    }
}
