using System.Buffers.Binary;
using Confluent.Kafka;
using Samsa.Protocol.Messages;
using Xunit.Abstractions;

namespace Samsa.Protocol.Tests.Golden;

/// <summary>
/// Golden bytes from a real client: librdkafka (through Confluent.Kafka) talks to a
/// <see cref="ScriptedKafkaServer"/>, which keeps every request frame. Each test decodes a captured
/// frame with our generated header and body types, encodes it again and requires the very same
/// bytes, then checks the fields the test configured. Frames are captured live on every run.
/// </summary>
public sealed class LiveClientFrameTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(10);

    private readonly ITestOutputHelper _output;

    // RecordBatch v2 header (kafka-facts.md section 3).
    private const int BaseOffsetAt = 0;
    private const int MagicAt = 16;
    private const int AttributesAt = 21;
    private const int LastOffsetDeltaAt = 23;
    private const int ProducerIdAt = 43;
    private const int RecordsCountAt = 57;
    private const int CodecMask = 0x07;
    private const long EarliestTimestamp = -2;
    private const sbyte ReadCommitted = 1;
    private const sbyte GroupKeyType = 0;

    public LiveClientFrameTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task ApiVersions_request_round_trips()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedKafkaServer.Start();
        await RealClients.ProduceOneAsync(server, CompressionType.None, timeout.Token);

        CapturedFrame frame = await server.WaitForFrameAsync(ApiKey.ApiVersions, timeout.Token);
        (RequestHeader header, ApiVersionsRequestData body) = RequestFrameCodec.AssertRoundTrips<ApiVersionsRequestData>(frame.Bytes);

        Assert.Equal(RealClients.ClientId, header.ClientId);
        Assert.True(header.ApiVersion >= 3, $"expected a flexible ApiVersions, got v{header.ApiVersion}");
        Assert.NotEmpty(body.ClientSoftwareName);
        Assert.NotEmpty(body.ClientSoftwareVersion);
        server.AssertNoFaults();
        GoldenFrameFiles.SaveIfRequested("apiversions", frame);
    }

    [Fact]
    public async Task Metadata_request_for_the_topic_round_trips()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedKafkaServer.Start();
        await RealClients.ProduceOneAsync(server, CompressionType.None, timeout.Token);

        CapturedFrame frame = await server.WaitForFrameAsync(NamesTopic, timeout.Token);
        (RequestHeader header, MetadataRequestData body) = RequestFrameCodec.AssertRoundTrips<MetadataRequestData>(frame.Bytes);

        Assert.Equal(RealClients.ClientId, header.ClientId);
        Assert.True(header.ApiVersion >= 9, $"expected a flexible Metadata, got v{header.ApiVersion}");
        Assert.NotNull(body.Topics);
        Assert.Contains(body.Topics, topic => topic.Name == ScriptedKafkaServer.TopicName);
        server.AssertNoFaults();
        GoldenFrameFiles.SaveIfRequested("metadata", frame);

        static bool NamesTopic(CapturedFrame frame)
        {
            if (frame.ApiKey != ApiKey.Metadata)
            {
                return false;
            }

            var body = (MetadataRequestData)RequestFrameCodec.Decode(frame.Bytes).Body;
            return body.Topics is { } topics && topics.Exists(topic => topic.Name == ScriptedKafkaServer.TopicName);
        }
    }

    [Theory]
    [InlineData(CompressionType.Gzip, 1, "produce-gzip")]
    [InlineData(CompressionType.Snappy, 2, "produce-snappy")]
    [InlineData(CompressionType.Lz4, 3, "produce-lz4")]
    [InlineData(CompressionType.Zstd, 4, "produce-zstd")]
    public async Task Compressed_produce_request_round_trips(CompressionType compression, int codec, string frameName)
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedKafkaServer.Start();
        DeliveryResult<string, string> delivered = await RealClients.ProduceOneAsync(server, compression, timeout.Token);
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
        Assert.Equal(0, delivered.Offset.Value);

        CapturedFrame frame = await server.WaitForFrameAsync(ApiKey.Produce, timeout.Token);
        (RequestHeader header, ProduceRequestData body) = RequestFrameCodec.AssertRoundTrips<ProduceRequestData>(frame.Bytes);

        Assert.Equal(RealClients.ClientId, header.ClientId);
        Assert.True(header.ApiVersion >= 9, $"expected a flexible Produce, got v{header.ApiVersion}");
        Assert.Null(body.TransactionalId);
        Assert.Equal(1, body.Acks);
        Assert.Equal(RealClients.RequestTimeoutMs, body.TimeoutMs);
        ProduceRequestData.TopicProduceData topic = Assert.Single(body.TopicData);
        Assert.True(
            topic.Name == ScriptedKafkaServer.TopicName || topic.TopicId == ScriptedKafkaServer.TopicId,
            $"produce names topic '{topic.Name}' / {topic.TopicId}");
        ProduceRequestData.PartitionProduceData partition = Assert.Single(topic.PartitionData);
        Assert.Equal(ScriptedKafkaServer.PartitionIndex, partition.Index);

        Assert.NotNull(partition.Records);
        byte[] batch = partition.Records.Value.ToArray();
        Assert.True(batch.Length > RecordsCountAt + 4, $"records blob of {batch.Length} bytes");
        Assert.Equal(0, BinaryPrimitives.ReadInt64BigEndian(batch.AsSpan(BaseOffsetAt)));
        Assert.Equal(2, batch[MagicAt]);
        Assert.Equal(codec, BinaryPrimitives.ReadInt16BigEndian(batch.AsSpan(AttributesAt)) & CodecMask);
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(batch.AsSpan(LastOffsetDeltaAt)));
        Assert.Equal(-1, BinaryPrimitives.ReadInt64BigEndian(batch.AsSpan(ProducerIdAt)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(batch.AsSpan(RecordsCountAt)));
        server.AssertNoFaults();
        GoldenFrameFiles.SaveIfRequested(frameName, frame);
    }

    [Fact]
    public async Task ListOffsets_request_round_trips()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedKafkaServer.Start();
        await ProduceThenConsumeAsync(server, timeout.Token);

        CapturedFrame frame = await server.WaitForFrameAsync(ApiKey.ListOffsets, timeout.Token);
        (RequestHeader header, ListOffsetsRequestData body) = RequestFrameCodec.AssertRoundTrips<ListOffsetsRequestData>(frame.Bytes);

        Assert.Equal(RealClients.ClientId, header.ClientId);
        Assert.Equal(-1, body.ReplicaId);
        ListOffsetsRequestData.ListOffsetsTopic topic = Assert.Single(body.Topics);
        Assert.Equal(ScriptedKafkaServer.TopicName, topic.Name);
        ListOffsetsRequestData.ListOffsetsPartition partition = Assert.Single(topic.Partitions);
        Assert.Equal(ScriptedKafkaServer.PartitionIndex, partition.PartitionIndex);
        Assert.Equal(EarliestTimestamp, partition.Timestamp);
        server.AssertNoFaults();
        GoldenFrameFiles.SaveIfRequested("listoffsets", frame);
    }

    [Fact]
    public async Task Fetch_request_round_trips_and_the_record_comes_back()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedKafkaServer.Start();
        ConsumeResult<string, string> consumed = await ProduceThenConsumeAsync(server, timeout.Token);
        Assert.Equal(RealClients.Key, consumed.Message.Key);
        Assert.Equal(RealClients.Value, consumed.Message.Value);
        Assert.Equal(0, consumed.Offset.Value);

        CapturedFrame frame = await server.WaitForFrameAsync(ApiKey.Fetch, timeout.Token);
        (RequestHeader header, FetchRequestData body) = RequestFrameCodec.AssertRoundTrips<FetchRequestData>(frame.Bytes);

        Assert.Equal(RealClients.ClientId, header.ClientId);
        Assert.True(header.ApiVersion >= 12, $"expected a flexible Fetch, got v{header.ApiVersion}");
        Assert.Equal(RealClients.FetchWaitMaxMs, body.MaxWaitMs);
        Assert.Equal(ReadCommitted, body.IsolationLevel);
        FetchRequestData.FetchTopic topic = Assert.Single(body.Topics);
        Assert.True(
            topic.Topic == ScriptedKafkaServer.TopicName || topic.TopicId == ScriptedKafkaServer.TopicId,
            $"fetch names topic '{topic.Topic}' / {topic.TopicId}");
        FetchRequestData.FetchPartition partition = Assert.Single(topic.Partitions);
        Assert.Equal(ScriptedKafkaServer.PartitionIndex, partition.Partition);
        Assert.Equal(0, partition.FetchOffset);
        Assert.True(partition.PartitionMaxBytes > 0);
        server.AssertNoFaults();
        GoldenFrameFiles.SaveIfRequested("fetch", frame);
    }

    [Fact]
    public async Task FindCoordinator_request_for_the_group_round_trips()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedKafkaServer.Start();
        await ProduceThenConsumeAsync(server, timeout.Token);

        CapturedFrame frame = await server.WaitForFrameAsync(ApiKey.FindCoordinator, timeout.Token);
        (RequestHeader header, FindCoordinatorRequestData body) = RequestFrameCodec.AssertRoundTrips<FindCoordinatorRequestData>(frame.Bytes);

        Assert.Equal(RealClients.ClientId, header.ClientId);
        if (header.ApiVersion >= 4)
        {
            Assert.Equal(RealClients.GroupId, Assert.Single(body.CoordinatorKeys));
        }
        else
        {
            Assert.Equal(RealClients.GroupId, body.Key);
        }

        Assert.Equal(GroupKeyType, body.KeyType);
        server.AssertNoFaults();
        GoldenFrameFiles.SaveIfRequested("findcoordinator", frame);
    }

    /// <summary>Whatever else librdkafka sends on the way (FindCoordinator, OffsetForLeaderEpoch,
    /// a second Metadata, ...) must round-trip too.</summary>
    [Fact]
    public async Task Every_request_of_a_produce_and_consume_round_trips()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedKafkaServer.Start();
        await ProduceThenConsumeAsync(server, timeout.Token);

        IReadOnlyList<CapturedFrame> frames = server.Captured;
        _output.WriteLine(RealClients.Describe(server));
        Assert.NotEmpty(frames);
        foreach (CapturedFrame frame in frames)
        {
            (RequestHeader header, IRequestData body) = RequestFrameCodec.Decode(frame.Bytes);
            RequestFrameCodec.AssertSameBytes(frame.Bytes, RequestFrameCodec.Encode(header, body), frame.ToString());
            Assert.Equal(RealClients.ClientId, header.ClientId);
        }

        server.AssertNoFaults();
    }

    private static async Task<ConsumeResult<string, string>> ProduceThenConsumeAsync(
        ScriptedKafkaServer server, CancellationToken cancellationToken)
    {
        await RealClients.ProduceOneAsync(server, CompressionType.Gzip, cancellationToken);
        return RealClients.ConsumeFirst(server, cancellationToken);
    }
}
