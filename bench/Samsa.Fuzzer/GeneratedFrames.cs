using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Fuzzer;

/// <summary>
/// Requests for client-facing APIs the captured Confluent.Kafka workload does not send, encoded
/// with Samsa.Protocol's generated messages at every version their schemas cover (a version the
/// broker does not speak is itself a useful hostile input). Harmless targets only: the capture
/// topics and a group nobody uses.
/// </summary>
public static class GeneratedFrames
{
    public static IReadOnlyList<byte[]> All()
    {
        var frames = new List<byte[]>();
        AddAllVersions(frames, () => new OffsetForLeaderEpochRequestData
        {
            Topics =
            [
                new OffsetForLeaderEpochRequestData.OffsetForLeaderTopic
                {
                    Topic = CorpusCapture.TopicA,
                    Partitions = [new OffsetForLeaderEpochRequestData.OffsetForLeaderPartition { Partition = 0, LeaderEpoch = 0 }],
                },
            ],
        });
        AddAllVersions(frames, () => new DescribeClusterRequestData { IncludeClusterAuthorizedOperations = true });
        AddAllVersions(frames, () => new DeleteGroupsRequestData { GroupsNames = ["fuzz-generated-group"] });
        AddAllVersions(frames, () => new AlterConfigsRequestData
        {
            ValidateOnly = true,
            Resources =
            [
                new AlterConfigsRequestData.AlterConfigsResource
                {
                    ResourceType = 2, // topic
                    ResourceName = CorpusCapture.TopicB,
                    Configs = [new AlterConfigsRequestData.AlterableConfig { Name = "retention.ms", Value = "800000" }],
                },
            ],
        });
        return frames;
    }

    private static void AddAllVersions(List<byte[]> frames, Func<IRequestData> create)
    {
        IRequestData sample = create();
        for (short version = ApiMessageTable.LowestVersion(sample.ApiKey); version <= ApiMessageTable.HighestVersion(sample.ApiKey); version++)
        {
            using var buffer = new PooledBufferWriter(1024);
            var header = new RequestHeader { ApiKey = sample.ApiKey, ApiVersion = version, CorrelationId = version + 1, ClientId = "fuzz-generated" };
            Frame.WriteRequest(buffer, header, create());
            frames.Add(buffer.WrittenMemory[Frame.SizePrefixLength..].ToArray());
        }
    }
}
