using Confluent.Kafka;

namespace Samsa.Cli.Clients;

/// <summary>
/// What Kafka's Java tools print for an error: the broker's own message when it sent one, else the
/// default message of the Java exception for that error code (librdkafka substitutes its own
/// "Broker: ..." strings, which Kafka users have never seen).
/// </summary>
internal static class KafkaErrorText
{
    /// <summary>The message alone, as "Error while executing topic command : {message}" prints it.</summary>
    public static string Message(Error error, string? operation = null)
    {
        string reason = error.Reason ?? "";
        // librdkafka's own texts start with (or wrap) "Broker: " / "Local: "; anything else came from the broker.
        bool fromBroker = reason.Length > 0
            && !reason.StartsWith("Broker: ", StringComparison.Ordinal)
            && !reason.StartsWith("Local: ", StringComparison.Ordinal)
            && !reason.Contains(": Broker: ", StringComparison.Ordinal);
        if (fromBroker && error.Code != ErrorCode.Local_UnsupportedFeature)
        {
            return reason;
        }

        return Describe(error.Code, operation).Message;
    }

    /// <summary>"org.apache.kafka.common.errors.XException: message", the first line of Kafka's stack trace.</summary>
    public static string ExceptionLine(Error error, string? operation = null) =>
        $"org.apache.kafka.common.errors.{Describe(error.Code, operation).ExceptionName}: {Message(error, operation)}";

    private static (string ExceptionName, string Message) Describe(ErrorCode code, string? operation) => code switch
    {
        ErrorCode.UnknownTopicOrPart => ("UnknownTopicOrPartitionException", "This server does not host this topic-partition."),
        ErrorCode.TopicAlreadyExists => ("TopicExistsException", "Topic with this name already exists."),
        ErrorCode.InvalidPartitions => ("InvalidPartitionsException", "Number of partitions is below 1."),
        ErrorCode.InvalidReplicationFactor => ("InvalidReplicationFactorException", "Replication factor is below 1 or larger than the number of available brokers."),
        ErrorCode.InvalidReplicaAssignment => ("InvalidReplicaAssignmentException", "Replica assignment is invalid."),
        ErrorCode.InvalidConfig => ("InvalidConfigurationException", "Configuration is invalid."),
        ErrorCode.TopicException => ("InvalidTopicException", "The request attempted to perform an operation on an invalid topic."),
        ErrorCode.TopicDeletionDisabled => ("TopicDeletionDisabledException", "Topic deletion is disabled."),
        ErrorCode.PolicyViolation => ("PolicyViolationException", "Request parameters do not satisfy the configured policy."),
        ErrorCode.InvalidRequest => ("InvalidRequestException", "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details."),
        ErrorCode.NotController => ("NotControllerException", "This is not the correct controller for this cluster."),
        ErrorCode.MsgSizeTooLarge => ("RecordTooLargeException", "The request included a message larger than the max message size the server will accept."),
        ErrorCode.NotEnoughReplicas => ("NotEnoughReplicasException", "Messages are rejected since there are fewer in-sync replicas than required."),
        ErrorCode.NotEnoughReplicasAfterAppend => ("NotEnoughReplicasAfterAppendException", "Messages are written to the log, but to fewer in-sync replicas than required."),
        ErrorCode.NotLeaderForPartition => ("NotLeaderOrFollowerException", "For requests intended only for the leader, this error indicates that the broker is not the current leader. For requests intended for any replica, this error indicates that the broker is not a replica of the topic partition."),
        ErrorCode.LeaderNotAvailable => ("LeaderNotAvailableException", "There is no leader for this topic-partition as we are in the middle of a leadership election."),
        ErrorCode.TopicAuthorizationFailed => ("TopicAuthorizationException", "Topic authorization failed."),
        ErrorCode.ClusterAuthorizationFailed => ("ClusterAuthorizationException", "Cluster authorization failed."),
        ErrorCode.GroupIdNotFound => ("GroupIdNotFoundException", "The group id does not exist."),
        ErrorCode.NonEmptyGroup => ("GroupNotEmptyException", "The group is not empty."),
        ErrorCode.InvalidGroupId => ("InvalidGroupIdException", "The configured groupId is invalid."),
        ErrorCode.GroupAuthorizationFailed => ("GroupAuthorizationException", "Group authorization failed."),
        ErrorCode.GroupSubscribedToTopic => ("GroupSubscribedToTopicException", "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it."),
        ErrorCode.UnknownMemberId => ("UnknownMemberIdException", "The coordinator is not aware of this member."),
        ErrorCode.GroupCoordinatorNotAvailable => ("CoordinatorNotAvailableException", "The coordinator is not available."),
        ErrorCode.NotCoordinatorForGroup => ("NotCoordinatorException", "This is not the correct coordinator."),
        ErrorCode.UnsupportedVersion => ("UnsupportedVersionException", "The version of API is not supported."),
        ErrorCode.Local_UnsupportedFeature => ("UnsupportedVersionException",
            operation is null ? "The version of API is not supported." : $"The broker does not support {operation}"),
        ErrorCode.RequestTimedOut or ErrorCode.Local_TimedOut => ("TimeoutException",
            operation is null ? "The request timed out." : $"Timed out waiting for a node assignment. Call: {CallName(operation)}"),
        ErrorCode.Local_Transport or ErrorCode.Local_AllBrokersDown => ("DisconnectException", "The server disconnected before a response was received."),
        _ => ("UnknownServerException", "The server experienced an unexpected error when processing the request."),
    };

    /// <summary>DESCRIBE_CONFIGS -> describeConfigs, as Java's AdminClient names its calls.</summary>
    private static string CallName(string operation)
    {
        string[] words = operation.ToLowerInvariant().Split('_');
        string name = words[0];
        for (int i = 1; i < words.Length; i++)
        {
            name += char.ToUpperInvariant(words[i][0]) + words[i][1..];
        }

        return name;
    }
}
