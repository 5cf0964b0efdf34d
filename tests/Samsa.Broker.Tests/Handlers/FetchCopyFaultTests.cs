using Samsa.Broker.Fetching;
using Samsa.Broker.Handlers;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage.Log;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>
/// A fetch reads a partition's log twice: the read scans batch headers to find the range, then the
/// copy reads the range's bytes. An I/O error in the copy (the disk failing between the two) must
/// be answered like one in the read: KAFKA_STORAGE_ERROR for that partition, which goes offline,
/// while the request's other partitions are answered as usual. It used to throw out of the
/// handler and fail the whole Fetch.
/// </summary>
public sealed class FetchCopyFaultTests
{
    private const string Topic = "copy-fault";

    [Fact]
    public async Task An_io_error_between_the_read_and_the_copy_answers_a_storage_error_and_takes_the_partition_offline()
    {
        await using LocalBrokerParts broker = await TwoPartitionTopic.StartAsync(Topic);

        Partition broken = broker.Partitions.Get(Topic, 0)!;
        LogReadInfo read = broken.Log.Read(0, 1 << 20, broken.HighWatermark, minOneBatch: true);
        Assert.Equal(LogReadStatus.Success, read.Status);
        Assert.True(read.Length > 0);

        // After the read, the segment file turns into something that cannot be read (EISDIR when
        // the copy reopens it), as a failing disk's would.
        BrokenSegment.Break(broken.Log);
        RequestContext context = LocalBrokerParts.Context(ApiKey.Fetch, 12);
        var result = new FetchResponseData.PartitionData { PartitionIndex = 0, Records = ReadOnlyMemory<byte>.Empty };

        int copied = FetchHandler.CopyRecords(broken.Log, read, context, result);

        Assert.Equal(-1, copied);
        Assert.Equal((short)ErrorCode.KafkaStorageError, result.ErrorCode);
        Assert.Equal(0, result.Records?.Length ?? 0);
        Assert.True(broken.Log.IsOffline);
        Assert.True(broker.Partitions.IsOffline(new Storage.TopicPartition(Topic, 0)));
        context.ReturnResponseBuffers();
    }

    [Fact]
    public async Task A_fetch_whose_copy_fails_for_one_partition_serves_the_other_partitions_of_the_same_request()
    {
        await using LocalBrokerParts broker = await TwoPartitionTopic.StartAsync(Topic);

        // Partition 0's segment file turns into a directory after the handler's read of it, before the copy.
        Partition broken = broker.Partitions.Get(Topic, 0)!;
        var handler = new FetchHandler(broker.Partitions, broker.Metadata, broker.Time, new FetchSessionCache(10))
        {
            CopyStarting = log =>
            {
                if (log == broken.Log && !log.IsOffline)
                {
                    BrokenSegment.Break(log);
                }
            },
        };

        FetchResponseData fetched = await handler.CallAsync<FetchResponseData>(TwoPartitionTopic.FetchRequest(Topic), 12);

        Assert.Equal((short)ErrorCode.None, fetched.ErrorCode);
        FetchResponseData.PartitionData offline = TwoPartitionTopic.Partition(fetched, 0);
        FetchResponseData.PartitionData online = TwoPartitionTopic.Partition(fetched, 1);
        Assert.Equal((short)ErrorCode.KafkaStorageError, offline.ErrorCode);
        Assert.Equal(0, offline.Records?.Length ?? 0);
        Assert.True(broken.Log.IsOffline);
        Assert.Equal((short)ErrorCode.None, online.ErrorCode);
        Assert.Equal(6, online.HighWatermark);
        Assert.True(online.Records?.Length > 0);

        // The next fetch of both: the offline partition answers the error at once, the other is still served.
        FetchResponseData again = await handler.CallAsync<FetchResponseData>(TwoPartitionTopic.FetchRequest(Topic), 12);
        Assert.Equal((short)ErrorCode.KafkaStorageError, TwoPartitionTopic.Partition(again, 0).ErrorCode);
        Assert.Equal((short)ErrorCode.None, TwoPartitionTopic.Partition(again, 1).ErrorCode);
        Assert.True(TwoPartitionTopic.Partition(again, 1).Records?.Length > 0);
    }
}
