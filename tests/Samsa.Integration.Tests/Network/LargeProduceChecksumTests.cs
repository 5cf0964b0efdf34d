using Confluent.Kafka;
using Samsa.Integration.Tests.Clients;
using Samsa.LoadGenerator;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Testing;
using ErrorCode = Samsa.Protocol.ErrorCode;

namespace Samsa.Integration.Tests.Network;

/// <summary>
/// A large Produce request has its batches' CRCs checked from chunk CRCs taken as the broker
/// copied it off the socket: a bit flipped anywhere in a batch is still refused, and an intact
/// batch is stored as sent.
/// </summary>
public sealed class LargeProduceChecksumTests
{
    private const short ProduceVersion = 9;
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_bit_flipped_anywhere_in_a_large_batch_is_refused_and_the_intact_batch_is_stored()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        await ConsumerGroupTests.CreateTopicAsync(broker, "large", 1);

        // About 600 KB: past the size from which the broker takes chunk CRCs (256 KiB), so its
        // middle is checked from whole chunks and only the ends are read again.
        const int Records = 600;
        byte[] batch = ProduceRequestTemplate.BuildBatch(Records, valueSize: 1000);
        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(broker.Port, timeout.Token);
        int correlationId = 0;

        // The first CRC-covered byte (the attributes, at 21), one in the middle, the last: each in its own request.
        foreach (int at in new[] { 21, batch.Length / 2, batch.Length - 1 })
        {
            byte[] flipped = batch.ToArray();
            flipped[at] ^= 0x10;
            (ErrorCode error, long _) = await ProduceAsync(connection, flipped, ++correlationId, timeout.Token);
            Assert.True(error == ErrorCode.CorruptMessage, $"a bit flipped at byte {at} of {batch.Length}: {error}");
        }

        // Nothing of them was stored: the intact batch is the partition's first.
        (ErrorCode intact, long baseOffset) = await ProduceAsync(connection, batch, ++correlationId, timeout.Token);
        Assert.Equal(ErrorCode.None, intact);
        Assert.Equal(0, baseOffset);

        using IConsumer<Ignore, byte[]> consumer = new ConsumerBuilder<Ignore, byte[]>(ClientConfigs.Consumer(broker.BootstrapServers)).Build();
        consumer.Assign(new TopicPartitionOffset("large", 0, Offset.Beginning));
        byte[] expectedValue = FirstValue(batch);
        for (int i = 0; i < Records; i++)
        {
            ConsumeResult<Ignore, byte[]> record = consumer.Consume(timeout.Token);
            Assert.Equal(i, record.Offset.Value);
            Assert.Equal(expectedValue, record.Message.Value);
        }
    }

    private static async Task<(ErrorCode Error, long BaseOffset)> ProduceAsync(RawKafkaConnection connection, byte[] batch, int correlationId, CancellationToken cancellationToken)
    {
        var request = new ProduceRequestData
        {
            Acks = 1,
            TimeoutMs = 10_000,
            TopicData =
            [
                new ProduceRequestData.TopicProduceData
                {
                    Name = "large",
                    PartitionData = [new ProduceRequestData.PartitionProduceData { Index = 0, Records = batch }],
                },
            ],
        };
        using var frame = new PooledBufferWriter();
        Frame.WriteRequest(frame, new RequestHeader { ApiKey = ApiKey.Produce, ApiVersion = ProduceVersion, CorrelationId = correlationId, ClientId = "large-produce" }, request);
        await connection.SendAsync(frame.WrittenMemory.ToArray(), cancellationToken);
        byte[] answer = await connection.ReceiveFrameAsync(cancellationToken) ?? throw new InvalidOperationException("The broker closed the connection.");

        var reader = new ProtocolReader(answer);
        var header = new ResponseHeader();
        header.Read(ref reader, ResponseHeader.HeaderVersionFor(ApiKey.Produce, ProduceVersion));
        Assert.Equal(correlationId, header.CorrelationId);
        var response = new ProduceResponseData();
        response.Read(ref reader, ProduceVersion);
        ProduceResponseData.PartitionProduceResponse partition = Assert.Single(Assert.Single(response.Responses).PartitionResponses);
        return ((ErrorCode)partition.ErrorCode, partition.BaseOffset);
    }

    /// <summary>The value of the batch's first record (all of BuildBatch's records share one).</summary>
    private static byte[] FirstValue(byte[] batch)
    {
        using var scratch = new PooledBufferWriter();
        RecordEnumerator records = RecordBatch.GetRecords(batch, scratch, int.MaxValue);
        Assert.Equal(RecordReadStatus.Record, records.TryMoveNext());
        return records.Current.Value.ToArray();
    }
}
