using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace Samsa.Alternatives;

/// <summary>
/// The consume ceiling of Confluent.Kafka on this machine: a producer with
/// <c>test.mock.num.brokers=1</c> starts librdkafka's mock cluster in this process, fills a topic,
/// and a consumer with kafka-consumer-perf-test's settings reads it back over the mock broker's
/// loopback listener. Only the consumer's fetch time counts (the group join is left out, as in
/// the Samsa consume rows).
/// </summary>
/// <remarks>
/// The mock keeps only the newest 5 MiB (and 100,000 batches) of each partition and drops older
/// batches on append, so the records go in chunks of at most <see cref="ChunkBytesPerPartition"/>
/// per partition: fill with the consumer paused, resume, drain the chunk, pause again. Timed is
/// resume to the chunk's last record, summed, so each chunk adds one fetch round trip the Samsa
/// consumer (one continuous read) does not pay; the result line says how many chunks there were.
/// </remarks>
internal static class MockConsumeBaseline
{
    /// <summary>Below the mock's 5 MiB per partition, with room for the batches' own headers.</summary>
    private const int ChunkBytesPerPartition = 4 * 1024 * 1024;

    /// <summary>A v2 record's framing over its value, rounded up (length, attributes, deltas, key and value lengths, headers).</summary>
    private const int RecordOverhead = 16;

    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(30);

    public static BaselineResult Run(AlternativeOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var producerConfig = new ProducerConfig
        {
            // The fill is not measured: settings that make it quick and keep whole chunks in one queue.
            Acks = Acks.All,
            LingerMs = 5,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 2_000_000,
        };
        producerConfig.Set("test.mock.num.brokers", "1");
        using IProducer<Null, byte[]> producer = new ProducerBuilder<Null, byte[]>(producerConfig)
            .SetLogHandler(static (_, _) => { })
            .Build();
        string bootstrap = MockCluster.CreateTopic(producer.Handle, options.Name, options.Partitions);

        using IConsumer<int, int> consumer = new ConsumerBuilder<int, int>(ConsumerConfig(bootstrap, options.ConsumerConfig))
            .SetKeyDeserializer(LengthDeserializer.Instance)
            .SetValueDeserializer(LengthDeserializer.Instance)
            .SetLogHandler(static (_, _) => { })
            .SetErrorHandler(static (_, _) => { })
            .Build();
        List<TopicPartition> assignment = Join(consumer, options, cancellationToken);
        consumer.Pause(assignment);

        byte[] payload = Payload.Create(options.RecordSize);
        int perPartition = Math.Max(1, ChunkBytesPerPartition / (options.RecordSize + RecordOverhead));
        long produced = 0;
        long consumed = 0;
        long bytes = 0;
        long fetchTicks = 0;
        int chunks = 0;
        long firstRecordTicks = 0;
        long deliveryErrors = 0;
        Action<DeliveryReport<Null, byte[]>> onDelivery = report =>
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref deliveryErrors);
            }
        };
        var message = new Message<Null, byte[]> { Value = payload };
        while (produced < options.Records && !cancellationToken.IsCancellationRequested)
        {
            // Partition after partition, so the batches are as large as linger and batch.size allow.
            for (int partition = 0; partition < options.Partitions && produced < options.Records; partition++)
            {
                var target = new TopicPartition(options.Name, partition);
                long count = Math.Min(perPartition, options.Records - produced);
                for (long i = 0; i < count; i++)
                {
                    producer.Produce(target, message, onDelivery);
                }

                produced += count;
            }

            producer.Flush(cancellationToken);
            if (Interlocked.Read(ref deliveryErrors) != 0)
            {
                throw new InvalidOperationException($"the mock cluster refused {deliveryErrors} records");
            }

            long start = Stopwatch.GetTimestamp();
            consumer.Resume(assignment);
            WakeFetcher(consumer, assignment[0], produced, options.Partitions);
            long lastRecord = start;
            long chunkStart = consumed;
            while (consumed < produced)
            {
                cancellationToken.ThrowIfCancellationRequested();
                ConsumeResult<int, int>? record;
                try
                {
                    record = consumer.Consume(PollTimeout);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    record = null;
                }

                if (record is null)
                {
                    if (Stopwatch.GetElapsedTime(lastRecord) > StallLimit)
                    {
                        throw new TimeoutException($"no record for {StallLimit.TotalSeconds} s after {consumed} of {produced}");
                    }

                    continue;
                }

                lastRecord = Stopwatch.GetTimestamp();
                if (consumed == chunkStart)
                {
                    firstRecordTicks += lastRecord - start;
                }

                consumed++;
                bytes += record.Message.Key + record.Message.Value;
            }

            fetchTicks += Stopwatch.GetTimestamp() - start;
            consumer.Pause(assignment);
            chunks++;
        }

        if (bytes != consumed * options.RecordSize)
        {
            throw new InvalidOperationException($"read {bytes} bytes for {consumed} records of {options.RecordSize} B");
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mock-consume: {options.Partitions} partition(s), {chunks} chunk(s) of up to {perPartition} records per partition, first record {Stopwatch.GetElapsedTime(0, firstRecordTicks).TotalMilliseconds / Math.Max(1, chunks):F1} ms after resuming on average, bootstrap {bootstrap}"));
        consumer.Close();
        return new BaselineResult(consumed, options.RecordSize, Stopwatch.GetElapsedTime(0, fetchTicks));
    }

    /// <summary>
    /// kafka-consumer-perf-test's consumer properties (ConsumerPerformance.BuildProperties with the
    /// defaults bench/run.sh runs it with: --fetch-size 1048576, socket buffer 2 MiB, from the
    /// earliest offset), plus fetch.wait.max.ms=10: the mock holds a fetch that finds no data for
    /// the full wait (it does not wake up on new data) and librdkafka has one fetch in flight per
    /// broker, so with the default 500 ms the fetch sent at a chunk's end would stall the next chunk
    /// for a time the Samsa run (one continuous read) never spends. With data waiting, as in every
    /// fetch that is timed, the wait plays no part. Then the properties of
    /// <paramref name="file"/>, if any: bench/run.sh passes the file it gives the Samsa consume run,
    /// so both consumers run with the same settings.
    /// </summary>
    private static ConsumerConfig ConsumerConfig(string bootstrap, string file)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "perf-consumer-" + Random.Shared.Next(100_000).ToString(CultureInfo.InvariantCulture),
            SocketReceiveBufferBytes = 2 * 1024 * 1024,
            MaxPartitionFetchBytes = 1024 * 1024,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            CheckCrcs = false,
            ClientId = "perf-consumer-client",
            FetchWaitMaxMs = 10,
        };
        config.Set("dotnet.consumer.consume.result.fields", "none");
        if (file.Length > 0)
        {
            foreach ((string key, string value) in ConsumerPropertiesFile.Load(file))
            {
                config.Set(key, value);
            }
        }

        return config;
    }

    /// <summary>
    /// librdkafka's broker thread does not wake up on a resume: with every partition paused it
    /// idles up to a second before it looks again. A watermark query is a request through that same
    /// thread, so it wakes it (one round trip, inside the timed span); its answer also checks the fill.
    /// </summary>
    private static void WakeFetcher(IConsumer<int, int> consumer, TopicPartition partition, long produced, int partitions)
    {
        WatermarkOffsets offsets = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
        if (offsets.High < (produced + partitions - 1) / partitions)
        {
            throw new InvalidOperationException($"partition {partition.Partition} ends at {offsets.High}, fewer than the records produced into it");
        }
    }

    /// <summary>Subscribes and polls until every partition is assigned (the topic is still empty).</summary>
    private static List<TopicPartition> Join(IConsumer<int, int> consumer, AlternativeOptions options, CancellationToken cancellationToken)
    {
        consumer.Subscribe(options.Name);
        long start = Stopwatch.GetTimestamp();
        while (consumer.Assignment.Count < options.Partitions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Stopwatch.GetElapsedTime(start) > StallLimit)
            {
                throw new TimeoutException($"the consumer got {consumer.Assignment.Count} of {options.Partitions} partitions");
            }

            try
            {
                consumer.Consume(PollTimeout);
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                // The topic's metadata may lag its creation for a moment.
            }
        }

        return consumer.Assignment;
    }
}
