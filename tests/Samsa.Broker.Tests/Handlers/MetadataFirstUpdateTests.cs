using Samsa.Broker.Handlers;
using Samsa.Broker.Metadata;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>
/// A cluster broker just started has an empty metadata cache until the controller's first
/// UpdateMetadata. Answered from it (no brokers, every topic unknown), librdkafka takes the topic
/// as deleted and fails every message it has queued for it; so such a request waits for that update.
/// </summary>
public sealed class MetadataFirstUpdateTests
{
    private const string Topic = "orders";

    [Fact]
    public async Task A_Metadata_request_that_arrives_before_the_first_UpdateMetadata_is_answered_from_it()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        var fresh = new MetadataCache(LocalBrokerParts.BrokerId, "cluster");
        var handler = new MetadataHandler(fresh, broker.Controller, false, broker.Partitions, LocalBrokerParts.BrokerId, TimeSpan.FromMinutes(1));

        Task<MetadataResponseData> answer = handler.CallAsync<MetadataResponseData>(
            new MetadataRequestData { Topics = [new MetadataRequestData.MetadataRequestTopic { Name = Topic }] }, 12);
        Assert.False(answer.IsCompleted, "answered from the empty cache");

        fresh.Apply(FirstUpdate(leader: LocalBrokerParts.BrokerId));

        MetadataResponseData response = await answer.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(LocalBrokerParts.BrokerId, Assert.Single(response.Brokers).NodeId);
        Assert.Equal(LocalBrokerParts.BrokerId, response.ControllerId);
        MetadataResponseData.MetadataResponseTopic topic = Assert.Single(response.Topics);
        Assert.Equal((short)ErrorCode.None, topic.ErrorCode);
        Assert.Equal(LocalBrokerParts.BrokerId, Assert.Single(topic.Partitions).LeaderId);
    }

    [Fact]
    public void Before_the_first_UpdateMetadata_a_partition_it_does_not_lead_is_not_called_unknown()
    {
        // ListOffsets, Fetch, Produce, OffsetForLeaderEpoch and DeleteRecords answer with this
        // error. librdkafka reports UNKNOWN_TOPIC_OR_PARTITION to the application; NOT_LEADER makes
        // it ask Metadata again, which waits for the first update.
        var fresh = new MetadataCache(LocalBrokerParts.BrokerId, "cluster");
        Assert.Equal(ErrorCode.NotLeaderOrFollower, fresh.Current.NotLeaderError(Topic, 0));

        fresh.Apply(FirstUpdate(leader: 2));
        Assert.Equal(ErrorCode.NotLeaderOrFollower, fresh.Current.NotLeaderError(Topic, 0));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, fresh.Current.NotLeaderError(Topic, 1));
        Assert.Equal(ErrorCode.UnknownTopicOrPartition, fresh.Current.NotLeaderError("no-such-topic", 0));
    }

    [Fact]
    public void The_wait_outlasts_the_ZooKeeper_session_a_restarted_broker_may_spend_waiting_for_its_old_registration_to_expire()
    {
        Assert.True(MetadataHandler.FirstUpdateWaitFor(6_000) > TimeSpan.FromSeconds(6));
        Assert.True(MetadataHandler.FirstUpdateWaitFor(18_000) > TimeSpan.FromSeconds(18));
        Assert.True(MetadataHandler.FirstUpdateWaitFor(0) >= TimeSpan.FromSeconds(1));
    }

    /// <summary>The controller's first UpdateMetadata: this broker live, <see cref="Topic"/> with one partition led by <paramref name="leader"/>.</summary>
    private static UpdateMetadataRequestData FirstUpdate(int leader) => new()
    {
        ControllerId = LocalBrokerParts.BrokerId,
        ControllerEpoch = 1,
        LiveBrokers =
        [
            new UpdateMetadataRequestData.UpdateMetadataBroker
            {
                Id = LocalBrokerParts.BrokerId,
                Endpoints = [new UpdateMetadataRequestData.UpdateMetadataEndpoint { Listener = LocalBrokerParts.Listener, Host = LocalBrokerParts.Host, Port = LocalBrokerParts.Port }],
            },
        ],
        TopicStates =
        [
            new UpdateMetadataRequestData.UpdateMetadataTopicState
            {
                TopicName = Topic,
                TopicId = Uuid.NewRandom(),
                PartitionStates = [new UpdateMetadataRequestData.UpdateMetadataPartitionState { TopicName = Topic, PartitionIndex = 0, Leader = leader, LeaderEpoch = 0, Replicas = [leader], Isr = [leader] }],
            },
        ],
    };
}
