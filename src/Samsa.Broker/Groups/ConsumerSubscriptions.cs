using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>
/// Reads the "consumer" protocol's subscription blobs (ConsumerProtocolSubscription) that members
/// send in JoinGroup, to know which topics a group consumes (OffsetDelete's
/// GROUP_SUBSCRIBED_TO_TOPIC). The broker never interprets other protocol types.
/// </summary>
internal static class ConsumerSubscriptions
{
    public const string ConsumerProtocolType = "consumer";

    /// <summary>The union of the members' subscribed topics for the chosen protocol; null when the group is not a consumer group or a blob does not parse.</summary>
    public static HashSet<string>? TopicsOf(ClassicGroup group)
    {
        if (group.ProtocolType != ConsumerProtocolType || group.ProtocolName is not string protocol)
        {
            return null;
        }

        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (GroupMember member in group.Members.Values)
        {
            byte[]? metadata = member.MetadataFor(protocol);
            if (metadata is null)
            {
                return null;
            }

            try
            {
                ConsumerProtocolSubscription subscription = GroupRecordCodec.Decode<ConsumerProtocolSubscription>(metadata, ConsumerProtocolSubscription.HighestSupportedVersion);
                topics.UnionWith(subscription.Topics);
            }
            catch (ProtocolException)
            {
                // A client's opaque bytes that are not a subscription: the topics are unknown, as in Kafka.
                return null;
            }
        }

        return topics;
    }
}
