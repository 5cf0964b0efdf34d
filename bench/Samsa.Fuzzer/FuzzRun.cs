using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Protocol.Messages;
using Samsa.Testing;

namespace Samsa.Fuzzer;

/// <summary>
/// One fuzzing run against a live broker process: start the broker behind a recording proxy,
/// capture a corpus from real Confluent.Kafka clients, start a well-behaved client, then let
/// <see cref="FuzzOptions.Connections"/> hostile connections send captured, mutated and random
/// requests for <see cref="FuzzOptions.Duration"/> while the broker's process, memory and log are
/// watched. Afterwards a fresh client must still create, produce and consume, and the broker must
/// shut down cleanly on SIGTERM.
/// </summary>
public static class FuzzRun
{
    private const int MaxFindings = 50;
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(60);

    public static async Task<FuzzReport> RunAsync(FuzzOptions options, Action<string> log, CancellationToken cancellationToken = default)
    {
        var failures = new ConcurrentQueue<string>();
        void Fail(string what)
        {
            if (failures.Count < MaxFindings)
            {
                failures.Enqueue(what);
            }
        }

        await using var proxy = new RecordingProxy();
        string viaProxy = "127.0.0.1:" + proxy.Port.ToString(CultureInfo.InvariantCulture);
        // The broker advertises the proxy, so real clients go through it; the fuzzer talks to the broker directly.
        await using BrokerProcess broker = await BrokerProcess.StartAsync(["advertised.listeners=PLAINTEXT://" + viaProxy], cancellationToken).ConfigureAwait(false);
        proxy.Start(broker.Port);
        await using var watch = new BrokerWatch(broker.ProcessId, () => broker.IsRunning);
        broker.OutputLine += watch.OnLine;
        log($"broker pid {broker.ProcessId.ToString(CultureInfo.InvariantCulture)} on {broker.BootstrapServers}, clients through {viaProxy}");

        await CorpusCapture.RunAsync(viaProxy, log, cancellationToken).ConfigureAwait(false);
        proxy.Recording = false;
        List<CorpusFrame> corpus = BuildCorpus(proxy.RecordedFrames(), options.MaxFramesPerApiVersion);
        int captured = corpus.Count;
        foreach (byte[] generated in GeneratedFrames.All())
        {
            corpus.Add(new CorpusFrame(generated));
        }

        string apis = DescribeCorpus(corpus);
        log($"corpus: {captured.ToString(CultureInfo.InvariantCulture)} captured and {(corpus.Count - captured).ToString(CultureInfo.InvariantCulture)} generated frames: {apis}");
        if (captured == 0)
        {
            throw new InvalidOperationException("No request frames were captured.");
        }

        await using var client = new WellBehavedClient(viaProxy);
        await client.StartAsync(cancellationToken).ConfigureAwait(false);
        watch.SampleNow();
        long startRss = watch.LastRssBytes;

        var stats = new FuzzStats();
        var elapsed = Stopwatch.StartNew();
        using (var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var connections = new List<Task>();
            for (int i = 0; i < options.Connections; i++)
            {
                var connection = new HostileConnection(broker.Port, corpus, stats, options.SeedFor(i), Fail);
                connections.Add(Task.Run(() => connection.RunAsync(stopping.Token), CancellationToken.None));
            }

            TimeSpan nextProgress = TimeSpan.FromSeconds(10);
            while (elapsed.Elapsed < options.Duration && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
                if (watch.Exited)
                {
                    Fail($"the broker exited after {elapsed.Elapsed.TotalSeconds:F1} s of fuzzing");
                    break;
                }

                if (watch.MaxRssBytes > options.MaxRssBytes)
                {
                    Fail($"broker RSS {watch.MaxRssBytes / (1024 * 1024)} MiB exceeds the bound of {options.MaxRssBytes / (1024 * 1024)} MiB");
                    break;
                }

                if (elapsed.Elapsed >= nextProgress)
                {
                    nextProgress += TimeSpan.FromSeconds(10);
                    log(string.Create(CultureInfo.InvariantCulture, $"{elapsed.Elapsed.TotalSeconds:F0} s: sent {stats.TotalSent:N0} on {stats.Connections:N0} connections, {stats.Responses:N0} answers, RSS {watch.LastRssBytes / (1024 * 1024)} MiB, max open files {watch.MaxOpenFiles:N0}; well-behaved acked {client.Acked:N0}, consumed {client.Consumed:N0}, failed {client.Failed:N0}"));
                }
            }

            await stopping.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(connections).ConfigureAwait(false);
        }

        TimeSpan fuzzed = elapsed.Elapsed;
        await client.StopAsync().ConfigureAwait(false);
        long missing = -1;
        if (!watch.Exited)
        {
            missing = client.CountMissing(CheckTimeout);
            await CheckFreshClientAsync(viaProxy, options.Seed, Fail).ConfigureAwait(false);
        }

        watch.SampleNow();
        long endRss = watch.LastRssBytes;
        CheckWellBehaved(client, missing, options, Fail);
        foreach (string line in watch.Findings)
        {
            Fail("broker log: " + line);
        }

        if (!watch.Exited)
        {
            try
            {
                int exitCode = await broker.StopAsync(CancellationToken.None).ConfigureAwait(false);
                if (exitCode != 0)
                {
                    Fail($"the broker exited with {exitCode} on SIGTERM after the run");
                }
            }
            catch (TimeoutException)
            {
                Fail($"the broker did not exit within {BrokerProcess.StopTimeout.TotalSeconds:F0} s of SIGTERM after the run; its last lines:\n" + string.Join('\n', watch.Tail));
            }
        }
        else
        {
            Fail("the broker's last lines:\n" + string.Join('\n', watch.Tail));
        }

        return new FuzzReport
        {
            Options = options,
            Stats = stats,
            Elapsed = fuzzed,
            CorpusFrames = captured,
            GeneratedFrames = corpus.Count - captured,
            CorpusApis = apis,
            MaxRssBytes = watch.MaxRssBytes,
            MaxOpenFiles = watch.MaxOpenFiles,
            StartRssBytes = startRss,
            EndRssBytes = endRss,
            BrokerWarnLines = watch.WarnLines,
            BrokerInfoLines = watch.InfoLines,
            BrokerWarnings = watch.Warnings,
            WellBehavedAcked = client.Acked,
            WellBehavedFailed = client.Failed,
            WellBehavedConsumed = client.Consumed,
            WellBehavedMissing = missing,
            WellBehavedLongestStall = client.LongestStall,
            Failures = [.. failures],
        };
    }

    private static void CheckWellBehaved(WellBehavedClient client, long missing, FuzzOptions options, Action<string> fail)
    {
        if (client.Acked == 0)
        {
            fail("the well-behaved producer got no acknowledgement");
        }

        if (client.Failed > 0)
        {
            fail($"{client.Failed} well-behaved produce requests failed (last: {client.LastError})");
        }

        if (client.Consumed == 0)
        {
            fail($"the well-behaved group consumer read nothing (last error: {client.LastError})");
        }

        if (missing != 0)
        {
            fail($"{missing} acknowledged messages are not where their acknowledgement said");
        }

        if (client.LongestStall > options.MaxProducerStall)
        {
            fail($"the well-behaved producer went {client.LongestStall.TotalSeconds:F1} s without an acknowledgement");
        }
    }

    /// <summary>After the run: a client that never met the fuzzer creates a topic, produces and consumes.</summary>
    private static async Task CheckFreshClientAsync(string bootstrapServers, int seed, Action<string> fail)
    {
        string topic = "fuzz-after-run-" + seed.ToString(CultureInfo.InvariantCulture).Replace('-', 'm');
        const int Messages = 10;
        try
        {
            using (IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers }).Build())
            {
                await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = 1, ReplicationFactor = 1 }]).WaitAsync(CheckTimeout).ConfigureAwait(false);
            }

            using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = bootstrapServers, Acks = Acks.All }).Build())
            {
                for (int i = 0; i < Messages; i++)
                {
                    await producer.ProduceAsync(topic, new Message<Null, string> { Value = "after-" + i.ToString(CultureInfo.InvariantCulture) }).WaitAsync(CheckTimeout).ConfigureAwait(false);
                }
            }

            var config = new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = topic, AutoOffsetReset = AutoOffsetReset.Earliest };
            using IConsumer<Null, string> consumer = new ConsumerBuilder<Null, string>(config).Build();
            consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
            int read = 0;
            var deadline = Stopwatch.StartNew();
            while (read < Messages && deadline.Elapsed < CheckTimeout)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result && result.Message.Value == "after-" + read.ToString(CultureInfo.InvariantCulture))
                {
                    read++;
                }
            }

            consumer.Close();
            if (read < Messages)
            {
                fail($"after the run a fresh consumer read {read} of {Messages} messages");
            }
        }
        catch (Exception e) when (e is KafkaException or TimeoutException)
        {
            fail("after the run a fresh client failed: " + e.Message);
        }
    }

    /// <summary>At most <paramref name="perApiVersion"/> frames per API key and version, spread over the capture.</summary>
    private static List<CorpusFrame> BuildCorpus(IReadOnlyList<byte[]> frames, int perApiVersion)
    {
        var groups = new SortedDictionary<(short, short), List<byte[]>>();
        foreach (byte[] frame in frames)
        {
            var key = ((short)(frame[0] << 8 | frame[1]), (short)(frame[2] << 8 | frame[3]));
            if (!groups.TryGetValue(key, out List<byte[]>? list))
            {
                groups[key] = list = [];
            }

            list.Add(frame);
        }

        var corpus = new List<CorpusFrame>();
        foreach (List<byte[]> list in groups.Values)
        {
            int take = Math.Min(list.Count, perApiVersion);
            for (int i = 0; i < take; i++)
            {
                corpus.Add(new CorpusFrame(list[i * list.Count / take]));
            }
        }

        return corpus;
    }

    private static string DescribeCorpus(List<CorpusFrame> corpus)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (CorpusFrame frame in corpus)
        {
            string name = $"{frame.ApiKey} v{frame.ApiVersion.ToString(CultureInfo.InvariantCulture)}";
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }

        return string.Join(", ", counts.Select(c => $"{c.Key} ×{c.Value.ToString(CultureInfo.InvariantCulture)}"));
    }
}
