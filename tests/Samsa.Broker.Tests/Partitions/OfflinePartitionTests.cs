using Samsa.Broker.Fetching;
using Samsa.Broker.Handlers;
using Samsa.Broker.Partitions;
using Samsa.Broker.Tests.Handlers;
using Samsa.Broker.Tests.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Partitions;

/// <summary>
/// A partition whose log hits an I/O error that is not a full disk goes offline on this broker,
/// as Kafka takes a failed log dir's replicas offline: Produce, Fetch and ListOffsets answer
/// KAFKA_STORAGE_ERROR for it, Metadata lists this broker among its offline replicas with no
/// leader, and the topic's other partitions are served as before.
/// </summary>
public sealed class OfflinePartitionTests
{
    private const string Topic = "disk";

    [Fact]
    public async Task A_partition_whose_file_cannot_be_read_goes_offline_and_the_others_keep_serving()
    {
        await using LocalBrokerParts broker = await TwoPartitionTopic.StartAsync(Topic);

        // The segment file turns into something that cannot be opened (EISDIR), as a failing disk's would.
        Partition broken = broker.Partitions.Get(Topic, 0)!;
        BrokenSegment.Break(broken.Log);
        var fetch = new FetchHandler(broker.Partitions, broker.Metadata, broker.Time, new FetchSessionCache(10));

        FetchResponseData fetched = await fetch.CallAsync<FetchResponseData>(TwoPartitionTopic.FetchRequest(Topic), 12);

        Assert.Equal((short)ErrorCode.KafkaStorageError, TwoPartitionTopic.Partition(fetched, 0).ErrorCode);
        Assert.Equal((short)ErrorCode.None, TwoPartitionTopic.Partition(fetched, 1).ErrorCode);
        Assert.True(TwoPartitionTopic.Partition(fetched, 1).Records is { Length: > 0 });
        Assert.True(broker.Partitions.IsOffline(new Storage.TopicPartition(Topic, 0)));

        // A Fetch after the partition went offline answers the storage error too.
        FetchResponseData again = await fetch.CallAsync<FetchResponseData>(TwoPartitionTopic.FetchRequest(Topic), 12);
        Assert.Equal((short)ErrorCode.KafkaStorageError, TwoPartitionTopic.Partition(again, 0).ErrorCode);

        var produce = new ProduceHandler(broker.Partitions, broker.Metadata, broker.Configs, broker.Time);
        ProduceResponseData produced = await produce.CallAsync<ProduceResponseData>(ProduceRequest(), 9);
        ProduceResponseData.TopicProduceResponse topic = Assert.Single(produced.Responses);
        Assert.Equal((short)ErrorCode.KafkaStorageError, topic.PartitionResponses.Single(p => p.Index == 0).ErrorCode);
        Assert.Equal((short)ErrorCode.None, topic.PartitionResponses.Single(p => p.Index == 1).ErrorCode);
        Assert.Equal(6, topic.PartitionResponses.Single(p => p.Index == 1).BaseOffset);

        var listOffsets = new ListOffsetsHandler(broker.Partitions, broker.Metadata);
        ListOffsetsResponseData offsets = await listOffsets.CallAsync<ListOffsetsResponseData>(ListOffsetsRequest(), 7);
        Assert.Equal((short)ErrorCode.KafkaStorageError, offsets.Topics[0].Partitions.Single(p => p.PartitionIndex == 0).ErrorCode);
        Assert.Equal(7, offsets.Topics[0].Partitions.Single(p => p.PartitionIndex == 1).Offset);

        var metadata = new MetadataHandler(broker.Metadata, broker.Controller, false, broker.Partitions, LocalBrokerParts.BrokerId, TimeSpan.FromSeconds(5));
        MetadataResponseData described = await metadata.CallAsync<MetadataResponseData>(new MetadataRequestData { Topics = [new MetadataRequestData.MetadataRequestTopic { Name = Topic }] }, 12);
        MetadataResponseData.MetadataResponsePartition offline = described.Topics[0].Partitions.Single(p => p.PartitionIndex == 0);
        MetadataResponseData.MetadataResponsePartition online = described.Topics[0].Partitions.Single(p => p.PartitionIndex == 1);
        Assert.Equal(-1, offline.LeaderId);
        Assert.Equal((short)ErrorCode.LeaderNotAvailable, offline.ErrorCode);
        Assert.Equal([LocalBrokerParts.BrokerId], offline.OfflineReplicas);
        Assert.Equal(LocalBrokerParts.BrokerId, online.LeaderId);
        Assert.Empty(online.OfflineReplicas);
    }

    private static ProduceRequestData ProduceRequest()
    {
        var topic = new ProduceRequestData.TopicProduceData { Name = Topic };
        for (int p = 0; p < 2; p++)
        {
            topic.PartitionData.Add(new ProduceRequestData.PartitionProduceData { Index = p, Records = PartitionTestBed.Batch(1) });
        }

        return new ProduceRequestData { Acks = 1, TimeoutMs = 5000, TopicData = [topic] };
    }

    private static ListOffsetsRequestData ListOffsetsRequest()
    {
        var topic = new ListOffsetsRequestData.ListOffsetsTopic { Name = Topic };
        for (int p = 0; p < 2; p++)
        {
            topic.Partitions.Add(new ListOffsetsRequestData.ListOffsetsPartition { PartitionIndex = p, Timestamp = -1 });
        }

        return new ListOffsetsRequestData { ReplicaId = -1, Topics = [topic] };
    }
}
