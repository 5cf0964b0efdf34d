using Samsa.Broker.Fetching;
using Samsa.Broker.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>Incremental fetch sessions (KIP-227) driven through the fetch handler with crafted requests.</summary>
public sealed class FetchSessionTests
{
    private const string Topic = "sessions";

    private static FetchRequestData Request(int sessionId, int epoch, params (int Partition, long Offset)[] partitions)
    {
        var topic = new FetchRequestData.FetchTopic { Topic = Topic };
        foreach ((int partition, long offset) in partitions)
        {
            topic.Partitions.Add(new FetchRequestData.FetchPartition { Partition = partition, FetchOffset = offset, PartitionMaxBytes = 1 << 20 });
        }

        return new FetchRequestData
        {
            MaxWaitMs = 0,
            MinBytes = 1,
            SessionId = sessionId,
            SessionEpoch = epoch,
            Topics = partitions.Length > 0 ? [topic] : [],
        };
    }

    private static FetchRequestData Forget(FetchRequestData request, params int[] partitions)
    {
        request.ForgottenTopicsData.Add(new FetchRequestData.ForgottenTopic { Topic = Topic, Partitions = [.. partitions] });
        return request;
    }

    private static async Task<FetchResponseData> FetchAsync(FetchHandler handler, FetchRequestData request, short version = 12) =>
        await handler.CallAsync<FetchResponseData>(request, version);

    private static List<int> PartitionsOf(FetchResponseData response)
    {
        var result = new List<int>();
        foreach (FetchResponseData.FetchableTopicResponse topic in response.Responses)
        {
            foreach (FetchResponseData.PartitionData partition in topic.Partitions)
            {
                result.Add(partition.PartitionIndex);
            }
        }

        result.Sort();
        return result;
    }

    private static async Task<(LocalBrokerParts Broker, FetchHandler Handler)> StartAsync(int slots = 1000)
    {
        LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync(Topic, 3);
        for (int p = 0; p < 3; p++)
        {
            broker.Append(Topic, p, 1000, 2000);
        }

        return (broker, new FetchHandler(broker.Partitions, broker.Metadata, broker.Time, new FetchSessionCache(slots, idSeed: 7)));
    }

    [Fact]
    public async Task Epoch_zero_opens_a_session_and_answers_in_full()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;

        FetchResponseData response = await FetchAsync(handler, Request(0, 0, (0, 0), (1, 0), (2, 2)));

        Assert.NotEqual(0, response.SessionId);
        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.Equal([0, 1, 2], PartitionsOf(response));
    }

    [Fact]
    public async Task Incremental_fetches_answer_only_partitions_with_news()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;
        FetchResponseData full = await FetchAsync(handler, Request(0, 0, (0, 2), (1, 2), (2, 2)));
        int id = full.SessionId;

        FetchResponseData quiet = await FetchAsync(handler, Request(id, 1));
        broker.Append(Topic, 1, 3000);
        FetchResponseData news = await FetchAsync(handler, Request(id, 2));

        Assert.Equal(id, quiet.SessionId);
        Assert.Empty(quiet.Responses);
        Assert.Equal(id, news.SessionId);
        Assert.Equal([1], PartitionsOf(news));
        FetchResponseData.PartitionData p1 = news.Responses[0].Partitions[0];
        Assert.Equal(3, p1.HighWatermark);
        Assert.True(p1.Records is { Length: > 0 });
    }

    [Fact]
    public async Task A_partition_whose_fetch_offset_the_client_changed_is_read_from_there()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;
        int id = (await FetchAsync(handler, Request(0, 0, (0, 2), (1, 2)))).SessionId;

        // The client rewinds partition 0 (a seek): it sends just that partition.
        FetchResponseData rewound = await FetchAsync(handler, Request(id, 1, (0, 0)));
        FetchResponseData after = await FetchAsync(handler, Request(id, 2));

        Assert.Equal([0], PartitionsOf(rewound));
        Assert.True(rewound.Responses[0].Partitions[0].Records is { Length: > 0 });

        // The session keeps offset 0 for partition 0 until told otherwise, so the data comes again.
        Assert.Equal([0], PartitionsOf(after));
    }

    [Fact]
    public async Task Metadata_changes_without_data_are_sent()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;
        int id = (await FetchAsync(handler, Request(0, 0, (0, 2), (1, 2), (2, 2)))).SessionId;

        broker.Partitions.Get(Topic, 2)!.Log.DeleteRecordsBefore(1);
        FetchResponseData response = await FetchAsync(handler, Request(id, 1));

        Assert.Equal([2], PartitionsOf(response));
        Assert.Equal(1, response.Responses[0].Partitions[0].LogStartOffset);
    }

    [Fact]
    public async Task Forgotten_partitions_leave_the_session()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;
        int id = (await FetchAsync(handler, Request(0, 0, (0, 2), (1, 2)))).SessionId;

        await FetchAsync(handler, Forget(Request(id, 1), 0));
        broker.Append(Topic, 0, 3000);
        broker.Append(Topic, 1, 3000);
        FetchResponseData response = await FetchAsync(handler, Request(id, 2));

        Assert.Equal([1], PartitionsOf(response));
    }

    [Fact]
    public async Task Errors_are_always_sent()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;
        int id = (await FetchAsync(handler, Request(0, 0, (0, 2), (1, 2)))).SessionId;

        FetchResponseData first = await FetchAsync(handler, Request(id, 1, (1, 99)));
        FetchResponseData second = await FetchAsync(handler, Request(id, 2));

        Assert.Equal([1], PartitionsOf(first));
        Assert.Equal((short)ErrorCode.OffsetOutOfRange, first.Responses[0].Partitions[0].ErrorCode);
        Assert.Equal([1], PartitionsOf(second));
    }

    [Fact]
    public async Task A_wrong_epoch_or_unknown_session_is_a_top_level_error()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;
        int id = (await FetchAsync(handler, Request(0, 0, (0, 2)))).SessionId;

        FetchResponseData wrongEpoch = await FetchAsync(handler, Request(id, 5));
        FetchResponseData unknown = await FetchAsync(handler, Request(id + 1, 1));
        FetchResponseData stillFine = await FetchAsync(handler, Request(id, 1));

        Assert.Equal((short)ErrorCode.InvalidFetchSessionEpoch, wrongEpoch.ErrorCode);
        Assert.Equal(0, wrongEpoch.SessionId);
        Assert.Empty(wrongEpoch.Responses);
        Assert.Equal((short)ErrorCode.FetchSessionIdNotFound, unknown.ErrorCode);
        Assert.Equal((short)ErrorCode.None, stillFine.ErrorCode);
    }

    [Fact]
    public async Task Epoch_minus_one_closes_the_session_and_fetches_sessionless()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;
        int id = (await FetchAsync(handler, Request(0, 0, (0, 2)))).SessionId;

        FetchResponseData closing = await FetchAsync(handler, Request(id, -1, (0, 0), (1, 0)));
        FetchResponseData afterwards = await FetchAsync(handler, Request(id, 1));

        Assert.Equal(0, closing.SessionId);
        Assert.Equal([0, 1], PartitionsOf(closing));
        Assert.Equal((short)ErrorCode.FetchSessionIdNotFound, afterwards.ErrorCode);
    }

    [Fact]
    public async Task Sessionless_fetches_keep_working()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;

        FetchResponseData v4 = await FetchAsync(handler, Request(0, -1, (0, 0)), version: 4);
        FetchResponseData v12 = await FetchAsync(handler, Request(0, -1, (0, 2), (1, 0)));

        Assert.Equal(0, v4.SessionId);
        Assert.True(v4.Responses[0].Partitions[0].Records is { Length: > 0 });
        Assert.Equal(0, v12.SessionId);
        Assert.Equal([0, 1], PartitionsOf(v12));
    }

    [Fact]
    public async Task A_full_cache_evicts_the_least_recently_used_session()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync(slots: 2);
        await using LocalBrokerParts _ = broker;
        int first = (await FetchAsync(handler, Request(0, 0, (0, 2)))).SessionId;
        int second = (await FetchAsync(handler, Request(0, 0, (1, 2)))).SessionId;
        await FetchAsync(handler, Request(first, 1));

        int third = (await FetchAsync(handler, Request(0, 0, (2, 2)))).SessionId;

        Assert.NotEqual(0, third);
        Assert.Equal((short)ErrorCode.None, (await FetchAsync(handler, Request(first, 2))).ErrorCode);
        Assert.Equal((short)ErrorCode.FetchSessionIdNotFound, (await FetchAsync(handler, Request(second, 1))).ErrorCode);
        Assert.Equal((short)ErrorCode.None, (await FetchAsync(handler, Request(third, 1))).ErrorCode);
    }

    [Fact]
    public async Task Without_slots_every_fetch_is_sessionless()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync(slots: 0);
        await using LocalBrokerParts _ = broker;

        FetchResponseData response = await FetchAsync(handler, Request(0, 0, (0, 0)));

        Assert.Equal(0, response.SessionId);
        Assert.Equal([0], PartitionsOf(response));
    }

    [Fact]
    public async Task Sessions_by_topic_id_and_by_name_do_not_mix()
    {
        (LocalBrokerParts broker, FetchHandler handler) = await StartAsync();
        await using LocalBrokerParts _ = broker;
        FetchRequestData byId = Request(0, 0, (0, 2));
        byId.Topics[0].TopicId = broker.Metadata.Current.Topic(Topic)!.TopicId;
        byId.Topics[0].Topic = string.Empty;

        FetchResponseData opened = await FetchAsync(handler, byId, version: 13);
        broker.Append(Topic, 0, 3000);
        FetchResponseData news = await FetchAsync(handler, Request(opened.SessionId, 1), version: 13);
        FetchResponseData byName = await FetchAsync(handler, Request(opened.SessionId, 2), version: 12);

        Assert.Equal([0], PartitionsOf(opened));
        Assert.Equal([0], PartitionsOf(news));
        Assert.Equal(byId.Topics[0].TopicId, news.Responses[0].TopicId);
        Assert.Equal((short)ErrorCode.FetchSessionTopicIdError, byName.ErrorCode);
    }
}
