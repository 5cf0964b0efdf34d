using System.Globalization;

namespace Samsa.Broker.ZNodes;

/// <summary>
/// Kafka's znode layout (3.x, ZooKeeper mode), used the same way over the embedded store in
/// standalone mode so the controller has one code path. See kafka-facts.md section 6.
/// </summary>
internal static class ZkPaths
{
    public const string BrokerIds = "/brokers/ids";
    public const string BrokerTopics = "/brokers/topics";
    public const string BrokerSeqId = "/brokers/seqid";
    public const string Controller = "/controller";
    public const string ControllerEpoch = "/controller_epoch";
    public const string ClusterId = "/cluster/id";
    public const string DeleteTopics = "/admin/delete_topics";
    public const string ConfigTopics = "/config/topics";
    public const string ConfigBrokers = "/config/brokers";
    public const string ConfigChanges = "/config/changes";
    public const string IsrChangeNotification = "/isr_change_notification";
    public const string LogDirEventNotification = "/log_dir_event_notification";
    public const string LatestProducerIdBlock = "/latest_producer_id_block";

    /// <summary>Created at broker start when missing, parents first.</summary>
    public static readonly string[] Persistent =
    [
        "/brokers", BrokerIds, BrokerTopics, BrokerSeqId, "/cluster", "/admin", DeleteTopics,
        "/config", ConfigTopics, ConfigBrokers, ConfigChanges, IsrChangeNotification, LogDirEventNotification,
        LatestProducerIdBlock,
    ];

    public static string BrokerId(int id) => BrokerIds + "/" + id.ToString(CultureInfo.InvariantCulture);

    public static string Topic(string topic) => BrokerTopics + "/" + topic;

    public static string TopicPartitions(string topic) => Topic(topic) + "/partitions";

    public static string TopicPartition(string topic, int partition) =>
        TopicPartitions(topic) + "/" + partition.ToString(CultureInfo.InvariantCulture);

    public static string TopicPartitionState(string topic, int partition) => TopicPartition(topic, partition) + "/state";

    public static string TopicConfig(string topic) => ConfigTopics + "/" + topic;

    public static string BrokerConfig(string broker) => ConfigBrokers + "/" + broker;

    public static string DeleteTopic(string topic) => DeleteTopics + "/" + topic;
}
