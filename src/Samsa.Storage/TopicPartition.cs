using System.Globalization;

namespace Samsa.Storage;

/// <summary>
/// A partition of a topic: the unit of a log. Its directory in a log dir is
/// <c>&lt;topic&gt;-&lt;partition&gt;</c>, as in Kafka (topic names may contain '-', so the
/// partition is whatever follows the last one).
/// </summary>
public readonly record struct TopicPartition(string Topic, int Partition)
{
    public string DirectoryName => string.Concat(Topic, "-", Partition.ToString(CultureInfo.InvariantCulture));

    public static bool TryParseDirectoryName(string name, out TopicPartition topicPartition)
    {
        int dash = name.LastIndexOf('-');
        if (dash > 0 && dash < name.Length - 1
            && int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int partition))
        {
            topicPartition = new TopicPartition(name[..dash], partition);
            return true;
        }

        topicPartition = default;
        return false;
    }

    public override string ToString() => DirectoryName;
}
