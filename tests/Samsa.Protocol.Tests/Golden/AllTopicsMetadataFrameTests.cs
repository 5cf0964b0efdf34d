using System.Buffers.Binary;
using Confluent.Kafka;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Golden;

/// <summary>
/// librdkafka's all-topics Metadata request (AdminClient.GetMetadata, kafka-topics --list) at v12+.
/// Captured from Confluent.Kafka 2.16.0 (librdkafka 2.16.0) by a <see cref="ScriptedKafkaServer"/>,
/// its body is <c>00 00 00 00 01 00 00</c> where our schema (and Kafka's) expects four bytes
/// <c>00 01 00 00</c>. Finding: our schema is right and the client pads. librdkafka reserves a
/// 4-byte slot for the topic count and, for a flexible request, later rewrites it as a varint and
/// closes the gap; for "all topics" at v9+ it leaves the slot as written (four zero bytes, the
/// first of which reads as the compact null array). A broker therefore reads topics = null, then
/// AllowAutoTopicCreation = false and IncludeTopicAuthorizedOperations = false from the padding,
/// no tagged fields, and has three bytes left (<c>01 00 00</c>: the real flags and tag count).
/// Kafka ignores bytes after a request body; so does KafkaConnection. The misread flag is
/// harmless: auto-creation never applies to an all-topics request.
/// </summary>
public sealed class AllTopicsMetadataFrameTests
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The captured frame (size prefix included), correlation id 3, client id samsa-golden-client.</summary>
    private static readonly byte[] Captured = Convert.FromHexString(
        "000000250003000D00000003001373616D73612D676F6C64656E2D636C69656E740000000000010000");

    /// <summary>The body as our schema writes it for the same request (null topics, auto-create on).</summary>
    private static readonly byte[] SchemaBody = [0x00, 0x01, 0x00, 0x00];

    private static readonly byte[] PaddedBody = [0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00];

    [Fact]
    public void The_captured_frame_is_our_schema_plus_three_bytes_of_client_padding()
    {
        var reader = new ProtocolReader(Captured.AsMemory(Frame.SizePrefixLength));
        var header = new RequestHeader();
        header.Read(ref reader);
        Assert.Equal(ApiKey.Metadata, header.ApiKey);
        Assert.Equal(13, header.ApiVersion);
        var body = new MetadataRequestData();
        body.Read(ref reader, header.ApiVersion);

        // What a broker decodes: all topics, flags from the padding, three bytes left over.
        Assert.Null(body.Topics);
        Assert.False(body.AllowAutoTopicCreation);
        Assert.False(body.IncludeTopicAuthorizedOperations);
        Assert.Equal(3, reader.Remaining);

        // Without the three unfinalized bytes of the count slot, the frame is exactly our encoding.
        byte[] withoutPadding = RemovePadding(Captured);
        var expected = new MetadataRequestData { Topics = null, AllowAutoTopicCreation = true, IncludeTopicAuthorizedOperations = false };
        RequestFrameCodec.AssertSameBytes(withoutPadding, RequestFrameCodec.Encode(header, expected), "Metadata v13 all topics");
        (_, IRequestData decoded) = RequestFrameCodec.Decode(withoutPadding);
        Assert.True(Assert.IsType<MetadataRequestData>(decoded).AllowAutoTopicCreation);
    }

    [Fact]
    public async Task A_live_admin_client_sends_the_same_body()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using var server = ScriptedKafkaServer.Start();
        using (IAdminClient admin = new AdminClientBuilder(new AdminClientConfig
        {
            BootstrapServers = server.BootstrapServers,
            ClientId = RealClients.ClientId,
            SocketTimeoutMs = RealClients.RequestTimeoutMs,
        }).SetLogHandler(static (_, _) => { }).Build())
        {
            Metadata metadata = admin.GetMetadata(TestTimeout);
            Assert.Contains(metadata.Topics, topic => topic.Topic == ScriptedKafkaServer.TopicName);
        }

        CapturedFrame frame = await server.WaitForFrameAsync(IsAllTopics, timeout.Token);
        Assert.True(BinaryPrimitives.ReadInt16BigEndian(frame.Bytes.AsSpan(Frame.SizePrefixLength + 2)) >= 12);
        byte[] body = Body(frame.Bytes);

        // A librdkafka that closes the gap sends exactly our schema's bytes; this one pads.
        Assert.True(
            body.AsSpan().SequenceEqual(PaddedBody) || body.AsSpan().SequenceEqual(SchemaBody),
            $"unexpected all-topics Metadata body {Convert.ToHexString(body)}");
        server.AssertNoFaults();
    }

    /// <summary>An all-topics request: the topic array reads as null (first body byte 0 in a flexible version).</summary>
    private static bool IsAllTopics(CapturedFrame frame) =>
        frame.ApiKey == ApiKey.Metadata
        && BinaryPrimitives.ReadInt16BigEndian(frame.Bytes.AsSpan(Frame.SizePrefixLength + 2)) >= 9
        && Body(frame.Bytes) is [0x00, ..];

    private static byte[] Body(byte[] frame)
    {
        var reader = new ProtocolReader(frame.AsMemory(Frame.SizePrefixLength));
        new RequestHeader().Read(ref reader);
        return frame[^reader.Remaining..];
    }

    private static byte[] RemovePadding(byte[] frame)
    {
        byte[] body = Body(frame);
        Assert.Equal(PaddedBody, body);
        byte[] fixedFrame = [.. frame[..^body.Length], .. SchemaBody];
        BinaryPrimitives.WriteInt32BigEndian(fixedFrame, fixedFrame.Length - Frame.SizePrefixLength);
        return fixedFrame;
    }
}
