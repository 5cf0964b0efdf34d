using Samsa.Broker.Fetching;
using Samsa.Broker.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>
/// A fetch answer carries a record set for every partition, empty but never null, also when the
/// partition has an error. librdkafka rejects the whole response on a null one ("invalid
/// MessageSetSize -1"), so a consumer never saw NOT_LEADER_OR_FOLLOWER after a leader moved and
/// fetched from the old leader forever (found by the cluster chaos loop, seed 42).
/// </summary>
public sealed class FetchErrorRecordsTests
{
    private const string Topic = "errors";

    [Fact]
    public async Task Partitions_with_errors_answer_an_empty_record_set_not_null()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        await broker.CreateTopicAsync(Topic, 1);
        broker.Append(Topic, 0, 1000, 2000);
        var handler = new FetchHandler(broker.Partitions, broker.Metadata, broker.Time, new FetchSessionCache(10, idSeed: 7));
        var request = new FetchRequestData
        {
            MaxWaitMs = 0,
            MinBytes = 1,
            SessionId = 0,
            SessionEpoch = -1,
            Topics =
            [
                new FetchRequestData.FetchTopic
                {
                    Topic = Topic,
                    Partitions =
                    [
                        new FetchRequestData.FetchPartition { Partition = 0, FetchOffset = 0, PartitionMaxBytes = 1 << 20 },
                        new FetchRequestData.FetchPartition { Partition = 0, FetchOffset = 99, PartitionMaxBytes = 1 << 20 },
                        new FetchRequestData.FetchPartition { Partition = 0, FetchOffset = 2, CurrentLeaderEpoch = 99, PartitionMaxBytes = 1 << 20 },
                        new FetchRequestData.FetchPartition { Partition = 7, FetchOffset = 0, PartitionMaxBytes = 1 << 20 },
                    ],
                },
                new FetchRequestData.FetchTopic
                {
                    Topic = "missing",
                    Partitions = [new FetchRequestData.FetchPartition { Partition = 0, FetchOffset = 0, PartitionMaxBytes = 1 << 20 }],
                },
            ],
        };

        FetchResponseData response = await handler.CallAsync<FetchResponseData>(request, 12);

        var answers = new List<FetchResponseData.PartitionData>();
        foreach (FetchResponseData.FetchableTopicResponse topic in response.Responses)
        {
            answers.AddRange(topic.Partitions);
        }

        Assert.Equal(
            [ErrorCode.None, ErrorCode.OffsetOutOfRange, ErrorCode.UnknownLeaderEpoch, ErrorCode.UnknownTopicOrPartition, ErrorCode.UnknownTopicOrPartition],
            answers.ConvertAll(a => (ErrorCode)a.ErrorCode));
        Assert.True(answers[0].Records is { Length: > 0 }, "the readable partition has its records");
        for (int i = 1; i < answers.Count; i++)
        {
            Assert.True(answers[i].Records is { Length: 0 }, $"answer {i} ({(ErrorCode)answers[i].ErrorCode}) has a null record set");
        }
    }
}
