using Samsa.Broker.Groups;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Groups;

/// <summary>
/// A coordinator that takes over an offsets partition loads every commit its log holds, also those
/// above the partition's high watermark: a leader restarted after kill -9 starts from a
/// checkpointed high watermark seconds old, and commits it had acknowledged must not go backwards
/// (found by the cluster chaos loop, seed 42).
/// </summary>
public sealed class OffsetsLoadTests
{
    [Fact]
    public async Task Commits_above_a_stale_high_watermark_are_loaded()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        var topicPartition = new TopicPartition("t", 0);
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", -1, string.Empty, null, [(topicPartition, new CommittedOffset(5, -1, string.Empty, 0, -1))]));

        // A later commit of 9 that the log holds but the high watermark does not cover yet, as on a
        // restarted leader whose followers have not fetched again.
        Partition offsets = bed.Parts.Partitions.Get(OffsetsTopic.Name, OffsetsTopic.PartitionFor("g", GroupTestBed.Options.OffsetsTopicNumPartitions))!;
        offsets.Log.AppendAsLeader(CommitBatch("g", topicPartition, 9), offsets.LeaderEpoch);
        Assert.True(offsets.HighWatermark < offsets.LogEndOffset, $"high watermark {offsets.HighWatermark}, log end {offsets.LogEndOffset}");

        await bed.RestartCoordinatorAsync();

        (ErrorCode error, List<(TopicPartition Partition, CommittedOffset? Offset)> fetched) = bed.Coordinator.FetchOffsets("g", [topicPartition]);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(9, Assert.Single(fetched).Offset!.Offset);
    }

    private static byte[] CommitBatch(string group, TopicPartition partition, long offset)
    {
        using var buffer = new PooledBufferWriter();
        using (var builder = new RecordBatchBuilder(buffer, CompressionType.None, 0))
        {
            builder.Append(0, GroupRecordCodec.OffsetKey(group, partition.Topic, partition.Partition), GroupRecordCodec.OffsetValue(new CommittedOffset(offset, -1, string.Empty, 0, -1)));
            builder.Complete();
        }

        return buffer.ToArray();
    }
}
