using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>
/// The start of the partition fault tests: a local broker with one topic of two partitions, each
/// holding three batches of two records (offsets 0-5, high watermark 6); the test breaks one
/// partition and the other must go on serving.
/// </summary>
internal static class TwoPartitionTopic
{
    public static async Task<LocalBrokerParts> StartAsync(string topic)
    {
        LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        try
        {
            await broker.CreateTopicAsync(topic, 2);
            for (int i = 0; i < 3; i++)
            {
                broker.Append(topic, 0, 1000 + i, 2000 + i);
                broker.Append(topic, 1, 1000 + i, 2000 + i);
            }

            return broker;
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }
    }

    /// <summary>A sessionless Fetch of both partitions from offset 0.</summary>
    public static FetchRequestData FetchRequest(string topic)
    {
        var fetchTopic = new FetchRequestData.FetchTopic { Topic = topic };
        for (int p = 0; p < 2; p++)
        {
            fetchTopic.Partitions.Add(new FetchRequestData.FetchPartition { Partition = p, FetchOffset = 0, PartitionMaxBytes = 1 << 20 });
        }

        return new FetchRequestData { MaxWaitMs = 0, MinBytes = 1, SessionEpoch = -1, Topics = [fetchTopic] };
    }

    public static FetchResponseData.PartitionData Partition(FetchResponseData response, int index) =>
        response.Responses.SelectMany(t => t.Partitions).Single(p => p.PartitionIndex == index);
}
