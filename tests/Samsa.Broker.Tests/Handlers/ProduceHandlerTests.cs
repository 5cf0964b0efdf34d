using System.Buffers.Binary;
using System.Text;
using Samsa.Broker.Handlers;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage.Log;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>
/// Produce through the handler on a standalone broker's parts: per-topic min.insync.replicas and
/// compression.type (changed without restart), recompression keeping records intact, and the
/// error code of every refused batch, including the order when one batch has several faults.
/// </summary>
public sealed class ProduceHandlerTests
{
    private const short Version = 9;
    private static long _mzxid;

    private static ProduceHandler Handler(LocalBrokerParts parts) => new(parts.Partitions, parts.Metadata, parts.Configs, parts.Time);

    private static void SetOverrides(LocalBrokerParts parts, string topic, params (string Key, string Value)[] overrides)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in overrides)
        {
            map[key] = value;
        }

        // What TopicConfigWatcher does when /config/topics/<topic> changes.
        Storage.LogConfig? config = parts.Configs.Set(topic, map, Interlocked.Increment(ref _mzxid));
        Assert.NotNull(config);
        parts.Partitions.Get(topic, 0)?.Log.UpdateConfig(config);
    }

    private static async Task<LocalBrokerParts> StartWithTopicAsync(string topic, params (string Key, string Value)[] overrides)
    {
        LocalBrokerParts parts = await LocalBrokerParts.StartAsync();
        SetOverrides(parts, topic, overrides);
        await parts.CreateTopicAsync(topic, 1);
        return parts;
    }

    /// <summary>One batch of <paramref name="count"/> keyed records with a header each, timestamps base+i.</summary>
    private static byte[] Batch(CompressionType compression, int count = 3, long baseTimestamp = 1_700_000_000_000, long producerId = -1, byte[]? key = null)
    {
        using var buffer = new PooledBufferWriter();
        using (var builder = new RecordBatchBuilder(buffer, compression, 0))
        {
            if (producerId >= 0)
            {
                builder.ProducerId = producerId;
                builder.ProducerEpoch = 0;
                builder.BaseSequence = 0;
            }

            for (int i = 0; i < count; i++)
            {
                RecordHeaderEntry[] headers = [new RecordHeaderEntry(Encoding.UTF8.GetBytes("h"), Encoding.UTF8.GetBytes($"hv{i}"))];
                builder.Append(baseTimestamp + i, key ?? Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"value-{i}-" + new string('x', 200)), headers);
            }

            builder.Complete();
        }

        return buffer.ToArray();
    }

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    private static void RewriteCrc(byte[] batch) =>
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(17), RecordBatch.ComputeCrc(batch));

    private static byte[] WithControlFlag(byte[] batch)
    {
        byte[] copy = [.. batch];
        copy[22] |= 0x20; // attributes low byte: control flag
        RewriteCrc(copy);
        return copy;
    }

    private static byte[] WithBadCrc(byte[] batch)
    {
        byte[] copy = [.. batch];
        copy[^1] ^= 0xFF;
        return copy;
    }

    private static ProduceRequestData Request(string topic, byte[] records, short acks = 1) => new()
    {
        Acks = acks,
        TimeoutMs = 5000,
        TopicData =
        {
            new ProduceRequestData.TopicProduceData
            {
                Name = topic,
                PartitionData = { new ProduceRequestData.PartitionProduceData { Index = 0, Records = records } },
            },
        },
    };

    private static async Task<ProduceResponseData.PartitionProduceResponse> ProduceAsync(LocalBrokerParts parts, string topic, byte[] records, short acks = 1)
    {
        ProduceResponseData response = await Handler(parts).CallAsync<ProduceResponseData>(Request(topic, records, acks), Version);
        return Assert.Single(Assert.Single(response.Responses).PartitionResponses);
    }

    private static async Task<ErrorCode> ErrorOfAsync(LocalBrokerParts parts, string topic, byte[] records) =>
        (ErrorCode)(await ProduceAsync(parts, topic, records)).ErrorCode;

    /// <summary>Every stored batch of partition 0, whole, in log order.</summary>
    private static List<byte[]> StoredBatches(LocalBrokerParts parts, string topic)
    {
        Partition partition = parts.Partitions.Get(topic, 0)!;
        var batches = new List<byte[]>();
        long next = partition.Log.LogStartOffset;
        while (next < partition.Log.LogEndOffset)
        {
            LogReadInfo read = partition.Log.Read(next, 1 << 20, long.MaxValue, minOneBatch: true);
            Assert.Equal(LogReadStatus.Success, read.Status);
            byte[] bytes = new byte[read.Length];
            Assert.Equal(read.Length, read.CopyTo(bytes));
            var enumerator = RecordBatch.Enumerate(bytes);
            while (enumerator.MoveNext())
            {
                Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(enumerator.Current.Span));
                batches.Add(enumerator.Current.ToArray());
                next = new RecordBatchHeader(enumerator.Current.Span).LastOffset + 1;
            }
        }

        return batches;
    }

    private static List<(long Offset, long Timestamp, string Key, string Value, string Header)> Records(byte[] batch)
    {
        var result = new List<(long, long, string, string, string)>();
        var header = new RecordBatchHeader(batch);
        long baseOffset = header.BaseOffset;
        long baseTimestamp = header.BaseTimestamp;
        using var scratch = new PooledBufferWriter();
        RecordEnumerator records = RecordBatch.GetRecords(batch, scratch, 1 << 24);
        while (records.TryMoveNext() == RecordReadStatus.Record)
        {
            Samsa.Protocol.Records.Record record = records.Current;
            RecordHeaderEnumerator headers = record.Headers;
            Assert.True(headers.MoveNext());
            result.Add((record.GetOffset(baseOffset), record.GetTimestamp(baseTimestamp), Encoding.UTF8.GetString(record.Key), Encoding.UTF8.GetString(record.Value), Encoding.UTF8.GetString(headers.Current.Value)));
        }

        return result;
    }

    [Fact]
    public async Task Min_insync_replicas_comes_from_the_topic_and_a_change_applies_to_the_next_request()
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("misr", ("min.insync.replicas", "2"));

        // One broker: the ISR is 1, below the topic's 2 (the broker default is 1).
        Assert.Equal(ErrorCode.NotEnoughReplicas, (ErrorCode)(await ProduceAsync(parts, "misr", Batch(CompressionType.None), acks: -1)).ErrorCode);
        Assert.Equal(ErrorCode.None, (ErrorCode)(await ProduceAsync(parts, "misr", Batch(CompressionType.None), acks: 1)).ErrorCode);

        SetOverrides(parts, "misr", ("min.insync.replicas", "1"));
        ProduceResponseData.PartitionProduceResponse accepted = await ProduceAsync(parts, "misr", Batch(CompressionType.None), acks: -1);
        Assert.Equal(ErrorCode.None, (ErrorCode)accepted.ErrorCode);
        Assert.Equal(3, accepted.BaseOffset);
    }

    [Theory]
    [InlineData(CompressionType.None, "zstd", CompressionType.Zstd)]
    [InlineData(CompressionType.Gzip, "zstd", CompressionType.Zstd)]
    [InlineData(CompressionType.Zstd, "uncompressed", CompressionType.None)]
    [InlineData(CompressionType.Snappy, "lz4", CompressionType.Lz4)]
    [InlineData(CompressionType.Lz4, "gzip", CompressionType.Gzip)]
    [InlineData(CompressionType.None, "snappy", CompressionType.Snappy)]
    public async Task Topic_compression_type_recompresses_batches_keeping_records_and_timestamps(CompressionType sent, string topicCodec, CompressionType stored)
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("codec", ("compression.type", topicCodec));
        Assert.Equal(ErrorCode.None, await ErrorOfAsync(parts, "codec", Batch(CompressionType.None, count: 2)));

        byte[] batch = Batch(sent, count: 4, producerId: 7);
        ProduceResponseData.PartitionProduceResponse result = await ProduceAsync(parts, "codec", batch);
        Assert.Equal(ErrorCode.None, (ErrorCode)result.ErrorCode);
        Assert.Equal(2, result.BaseOffset);

        byte[] storedBatch = StoredBatches(parts, "codec")[1];
        var header = new RecordBatchHeader(storedBatch);
        Assert.Equal(stored, header.CompressionType);
        Assert.Equal(2, header.BaseOffset);
        Assert.Equal(5, header.LastOffset);
        Assert.Equal(7, header.ProducerId);
        Assert.Equal(0, header.BaseSequence);
        Assert.Equal(1_700_000_000_003, header.MaxTimestamp);
        Assert.Equal(
            [
                (2L, 1_700_000_000_000L, "k0", "value-0-" + new string('x', 200), "hv0"),
                (3L, 1_700_000_000_001L, "k1", "value-1-" + new string('x', 200), "hv1"),
                (4L, 1_700_000_000_002L, "k2", "value-2-" + new string('x', 200), "hv2"),
                (5L, 1_700_000_000_003L, "k3", "value-3-" + new string('x', 200), "hv3"),
            ],
            Records(storedBatch));
    }

    [Fact]
    public async Task Producer_compression_keeps_the_batch_as_sent_and_a_changed_codec_applies_to_the_next_request()
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("keep");
        byte[] gzip = Batch(CompressionType.Gzip);
        Assert.Equal(ErrorCode.None, await ErrorOfAsync(parts, "keep", gzip));
        byte[] stored = StoredBatches(parts, "keep")[0];
        Assert.Equal(CompressionType.Gzip, new RecordBatchHeader(stored).CompressionType);

        // Same bytes from the attributes on (only base offset and leader epoch are the leader's).
        Assert.True(gzip.AsSpan(21).SequenceEqual(stored.AsSpan(21)));

        SetOverrides(parts, "keep", ("compression.type", "lz4"));
        Assert.Equal(ErrorCode.None, await ErrorOfAsync(parts, "keep", Batch(CompressionType.Gzip)));
        Assert.Equal(CompressionType.Lz4, new RecordBatchHeader(StoredBatches(parts, "keep")[1]).CompressionType);
    }

    [Fact]
    public async Task A_batch_already_in_the_topic_codec_is_stored_unchanged()
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("same", ("compression.type", "zstd"));
        byte[] zstd = Batch(CompressionType.Zstd);
        Assert.Equal(ErrorCode.None, await ErrorOfAsync(parts, "same", zstd));
        Assert.True(zstd.AsSpan(21).SequenceEqual(StoredBatches(parts, "same")[0].AsSpan(21)));
    }

    [Fact]
    public async Task A_corrupt_batch_is_refused_rather_than_recompressed_with_a_fresh_crc()
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("launder", ("compression.type", "zstd"));
        ProduceResponseData.PartitionProduceResponse result = await ProduceAsync(parts, "launder", WithBadCrc(Batch(CompressionType.None)));
        Assert.Equal(ErrorCode.CorruptMessage, (ErrorCode)result.ErrorCode);
        Assert.Equal(0, parts.Partitions.Get("launder", 0)!.LogEndOffset);
    }

    [Fact]
    public async Task Single_fault_batches_get_the_error_codes_they_always_had()
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("faults", ("max.message.bytes", "2000"));
        byte[] good = Batch(CompressionType.None);

        byte[] magic1 = [.. good];
        magic1[16] = 1;
        byte[] countMismatch = [.. good];
        BinaryPrimitives.WriteInt32BigEndian(countMismatch.AsSpan(57), 5);
        RewriteCrc(countMismatch);
        byte[] noSequence = Batch(CompressionType.None, producerId: 3);
        BinaryPrimitives.WriteInt32BigEndian(noSequence.AsSpan(53), -1);
        RewriteCrc(noSequence);

        Assert.Equal(ErrorCode.CorruptMessage, await ErrorOfAsync(parts, "faults", WithBadCrc(good)));
        Assert.Equal(ErrorCode.UnsupportedForMessageFormat, await ErrorOfAsync(parts, "faults", magic1));
        Assert.Equal(ErrorCode.MessageTooLarge, await ErrorOfAsync(parts, "faults", Batch(CompressionType.None, count: 10)));
        Assert.Equal(ErrorCode.InvalidRecord, await ErrorOfAsync(parts, "faults", WithControlFlag(good)));
        Assert.Equal(ErrorCode.InvalidRecord, await ErrorOfAsync(parts, "faults", countMismatch));
        Assert.Equal(ErrorCode.InvalidRecord, await ErrorOfAsync(parts, "faults", noSequence));
        Assert.Equal(ErrorCode.CorruptMessage, await ErrorOfAsync(parts, "faults", good[..^7]));
        Assert.Equal(ErrorCode.CorruptMessage, await ErrorOfAsync(parts, "faults", Concat(good, good[..30])));
        Assert.Equal(0, parts.Partitions.Get("faults", 0)!.LogEndOffset);
        Assert.Equal(ErrorCode.None, await ErrorOfAsync(parts, "faults", good));
    }

    [Fact]
    public async Task Compacted_topics_refuse_records_without_a_key()
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("compacted", ("cleanup.policy", "compact"));
        using var buffer = new PooledBufferWriter();
        using (var builder = new RecordBatchBuilder(buffer, CompressionType.Gzip, 0))
        {
            builder.Append(1, [1], [1]);
            builder.Append(2, null, [2]);
            builder.Complete();
        }

        ProduceResponseData.PartitionProduceResponse result = await ProduceAsync(parts, "compacted", buffer.ToArray());
        Assert.Equal(ErrorCode.InvalidRecord, (ErrorCode)result.ErrorCode);
        Assert.Equal(0, Assert.Single(result.RecordErrors).BatchIndex);
        Assert.Equal(ErrorCode.None, await ErrorOfAsync(parts, "compacted", Batch(CompressionType.Gzip)));
    }

    [Fact]
    public async Task CreateTime_outside_the_topic_bounds_is_refused_with_invalid_timestamp()
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("times", ("message.timestamp.before.max.ms", "60000"), ("message.timestamp.after.max.ms", "60000"));
        long now = parts.Time.GetUtcNow().ToUnixTimeMilliseconds();
        Assert.Equal(ErrorCode.InvalidTimestamp, await ErrorOfAsync(parts, "times", Batch(CompressionType.Lz4, baseTimestamp: now - 3_600_000)));
        Assert.Equal(ErrorCode.InvalidTimestamp, await ErrorOfAsync(parts, "times", Batch(CompressionType.None, baseTimestamp: now + 3_600_000)));
        Assert.Equal(ErrorCode.None, await ErrorOfAsync(parts, "times", Batch(CompressionType.None, baseTimestamp: now)));

        // LogAppendTime topics stamp the broker's time instead: the producer's timestamps do not matter.
        SetOverrides(parts, "times", ("message.timestamp.before.max.ms", "60000"), ("message.timestamp.type", "LogAppendTime"));
        Assert.Equal(ErrorCode.None, await ErrorOfAsync(parts, "times", Batch(CompressionType.None, baseTimestamp: now - 3_600_000)));
    }

    [Fact]
    public async Task Several_faults_report_the_first_faulty_batch_and_within_it_structure_before_policy()
    {
        await using LocalBrokerParts parts = await StartWithTopicAsync("multi", ("max.message.bytes", "2000"));
        byte[] good = Batch(CompressionType.None);
        byte[] control = WithControlFlag(good);
        byte[] big = Batch(CompressionType.None, count: 10);

        // Within one batch: CRC before control flag, size before control flag, format before CRC.
        Assert.Equal(ErrorCode.CorruptMessage, await ErrorOfAsync(parts, "multi", WithBadCrc(control)));
        Assert.Equal(ErrorCode.MessageTooLarge, await ErrorOfAsync(parts, "multi", WithControlFlag(big)));
        byte[] magic1BadCrc = WithBadCrc(good);
        magic1BadCrc[16] = 1;
        Assert.Equal(ErrorCode.UnsupportedForMessageFormat, await ErrorOfAsync(parts, "multi", magic1BadCrc));

        // A flipped bit that turns on the control flag is corruption, not a client's control batch.
        byte[] flipped = [.. good];
        flipped[22] |= 0x20;
        Assert.Equal(ErrorCode.CorruptMessage, await ErrorOfAsync(parts, "multi", flipped));

        // Across batches: the first faulty one in request order, whatever its kind.
        Assert.Equal(ErrorCode.CorruptMessage, await ErrorOfAsync(parts, "multi", Concat(good, WithBadCrc(good), control)));
        ProduceResponseData.PartitionProduceResponse policyFirst = await ProduceAsync(parts, "multi", Concat(good, control, WithBadCrc(good)));
        Assert.Equal(ErrorCode.InvalidRecord, (ErrorCode)policyFirst.ErrorCode);
        Assert.Equal(1, Assert.Single(policyFirst.RecordErrors).BatchIndex);
        Assert.Equal(ErrorCode.MessageTooLarge, await ErrorOfAsync(parts, "multi", Concat(big, control)));
        Assert.Equal(ErrorCode.InvalidRecord, await ErrorOfAsync(parts, "multi", Concat(control, big)));

        // A policy fault still comes before a torn tail, which only the log sees.
        Assert.Equal(ErrorCode.InvalidRecord, await ErrorOfAsync(parts, "multi", Concat(control, good[..30])));
        Assert.Equal(0, parts.Partitions.Get("multi", 0)!.LogEndOffset);
    }
}
