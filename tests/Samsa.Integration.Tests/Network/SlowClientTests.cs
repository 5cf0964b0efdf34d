using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Integration.Tests.Clients;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Network;

/// <summary>
/// Clients that send too slowly or never read: they cost the broker neither a thread each nor
/// unbounded memory, and a normal Confluent client beside them keeps working.
/// </summary>
public sealed class SlowClientTests
{
    private const short ApiVersionsKey = 18;
    private const short FetchKey = 1;
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ReleaseWait = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan TrickleInterval = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Trickling_senders_hold_no_thread_are_not_idle_and_do_not_stop_a_normal_client()
    {
        const int Tricklers = 200;
        const int Messages = 500;
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(["connections.max.idle.ms=4000"], timeout.Token);
        await CreateTopicAsync(broker, "beside-tricklers", 1);
        int threadsBefore = ProcStatus(broker.ProcessId, "Threads");

        using RawKafkaConnection silent = await RawKafkaConnection.ConnectAsync(broker.Port, timeout.Token);
        var connections = new RawKafkaConnection[Tricklers];
        try
        {
            for (int i = 0; i < Tricklers; i++)
            {
                connections[i] = await RawKafkaConnection.ConnectAsync(broker.Port, timeout.Token);
            }

            // Each trickling request takes 10.5 s, one byte every half second: more than twice
            // connections.max.idle.ms. Meanwhile a producer and a consumer run with their normal timeouts.
            Task tricklers = TrickleApiVersionsAsync(connections, timeout.Token);
            ProducerConfig producerConfig = ClientConfigs.Producer(broker.BootstrapServers);
            producerConfig.MessageTimeoutMs = 30_000;
            using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(producerConfig).Build())
            {
                for (int i = 0; i < Messages; i++)
                {
                    producer.Produce("beside-tricklers", new Message<Null, string> { Value = "m" + i.ToString(CultureInfo.InvariantCulture) });
                }

                Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
            }

            int threadsWhileTrickling = ProcStatus(broker.ProcessId, "Threads");
            Assert.Equal(Messages, ConsumeCount(broker, "beside-tricklers", Messages, timeout.Token));

            // Silence is idleness: the broker closes the silent connection after connections.max.idle.ms.
            Assert.True(await silent.IsClosedByPeerAsync(timeout.Token));

            // A partial request is activity, as in Kafka: every trickler outlived the idle time and got its answer.
            await tricklers.WaitAsync(timeout.Token);

            // 200 connections parked mid-request would be 200 blocked threads in a thread-per-connection server.
            Assert.True(threadsWhileTrickling < threadsBefore + (Tricklers / 4), $"broker threads went from {threadsBefore} to {threadsWhileTrickling} with {Tricklers} trickling connections");
        }
        finally
        {
            foreach (RawKafkaConnection? connection in connections)
            {
                connection?.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_client_that_never_reads_responses_does_not_grow_broker_memory_without_bound()
    {
        const int Requests = 10_000;
        const int FetchBytes = 1024 * 1024;
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);

        // About 1 MB in the partition, so each Fetch answer is about 1 MB: 10,000 unread answers
        // buffered in the broker would be some 10 GB.
        await CreateTopicAsync(broker, "fetched", 1);
        ProduceThousandKilobyteRecords(ClientConfigs.Producer(broker.BootstrapServers), "fetched");

        byte[] request = FetchV4Request("fetched", FetchBytes);
        using (RawKafkaConnection warmUp = await RawKafkaConnection.ConnectAsync(broker.Port, timeout.Token))
        {
            await warmUp.SendAsync(request, timeout.Token);
            byte[] response = await warmUp.ReceiveFrameAsync(timeout.Token) ?? throw new InvalidOperationException("Fetch was not answered.");
            Assert.True(response.Length > FetchBytes / 2, $"the Fetch response is only {response.Length} bytes");
        }

        long rssBefore = ProcStatus(broker.ProcessId, "VmRSS") * 1024L;
        using var hostile = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await hostile.ConnectAsync(new IPEndPoint(IPAddress.Loopback, broker.Port), timeout.Token);
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        Task sending = SendRepeatedlyAsync(hostile, request, Requests, stopSending.Token);

        // Sample the broker's memory while the hostile client sends and sits on its answers.
        long rssPeak = 0;
        DateTime until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < until)
        {
            rssPeak = Math.Max(rssPeak, ProcStatus(broker.ProcessId, "VmRSS") * 1024L);
            await Task.Delay(100, timeout.Token);
        }

        // A normal client is served meanwhile.
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(ClientConfigs.Producer(broker.BootstrapServers)).Build())
        {
            DeliveryResult<Null, string> delivered = await producer.ProduceAsync("fetched", new Message<Null, string> { Value = "still served" }, timeout.Token);
            Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
        }

        rssPeak = Math.Max(rssPeak, ProcStatus(broker.ProcessId, "VmRSS") * 1024L);
        await stopSending.CancelAsync();
        await sending.WaitAsync(timeout.Token);
        Assert.True(broker.IsRunning);
        Assert.True(rssPeak < rssBefore + (200L * 1024 * 1024), $"broker RSS grew from {rssBefore >> 20} MB to {rssPeak >> 20} MB");
    }

    [Fact]
    public async Task Fetches_left_unread_by_a_client_that_leaves_keep_no_deleted_segment_open()
    {
        const int Requests = 2000;
        const int FetchBytes = 100 * 1024;
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        await CreateTopicAsync(broker, "left-unread", 1);
        ProducerConfig producerConfig = ClientConfigs.Producer(broker.BootstrapServers);
        producerConfig.BatchSize = 16 * 1024; // so that each Fetch answer is about FetchBytes, not one large batch
        ProduceThousandKilobyteRecords(producerConfig, "left-unread");

        // 2,000 answers of about 100 KB, none read: some fill the sockets' buffers, up to 16 MiB sit
        // in the send loop's batch, 100 fill the connection's queue, and the next waits to be
        // queued (200 MB in all, far more than those hold); each holds a lease that keeps the
        // segment file open (they go out with sendfile).
        using var leaver = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await leaver.ConnectAsync(new IPEndPoint(IPAddress.Loopback, broker.Port), timeout.Token);
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        Task sending = SendRepeatedlyAsync(leaver, FetchV4Request("left-unread", FetchBytes), Requests, stopSending.Token);

        // Once the first answer arrives the broker is answering the rest, faster than a deletion goes.
        Assert.True(await Polling.TryUntilAsync(() => leaver.Available > 0, ReleaseWait, timeout.Token), "no Fetch was answered");

        // The topic is deleted meanwhile: the log closes its own handles, so what stays open is held
        // by the unsent answers (the test would prove nothing if none were).
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build())
        {
            await admin.DeleteTopicsAsync(["left-unread"], new DeleteTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });
        }

        Assert.True(
            await Polling.TryUntilAsync(() => !Directory.Exists(Path.Combine(broker.LogDir, "left-unread-0")), ReleaseWait, timeout.Token),
            "the deleted partition's directory is still there");
        Assert.True(OpenSegmentFiles(broker.ProcessId, "left-unread-0") > 0, "no unsent answer holds the segment: nothing was tested");

        // The client leaves without reading: the answers it never got release their leases.
        await stopSending.CancelAsync();
        await sending.WaitAsync(timeout.Token);
        leaver.LingerState = new LingerOption(true, 0); // a reset, as a crashed client's kernel sends
        leaver.Dispose();
        Assert.True(
            await Polling.TryUntilAsync(() => OpenSegmentFiles(broker.ProcessId, "left-unread-0") == 0, ReleaseWait, timeout.Token),
            $"{OpenSegmentFiles(broker.ProcessId, "left-unread-0")} descriptors of the deleted partition's files are still open");
        Assert.True(broker.IsRunning);
    }

    /// <summary>
    /// Sends ApiVersions v0 (22 bytes) on every connection, one byte every half second, then reads
    /// each answer. The pacing runs on a thread of its own: meanwhile this test blocks its thread in
    /// the Confluent client's synchronous calls, as tests beside it do theirs, and a byte held back
    /// by the idle time waiting for a free thread would make the broker right to close.
    /// </summary>
    private static Task TrickleApiVersionsAsync(RawKafkaConnection[] connections, CancellationToken cancellationToken)
    {
        var frames = new byte[connections.Length][];
        for (int i = 0; i < connections.Length; i++)
        {
            frames[i] = RawKafkaConnection.Frame(ApiVersionsKey, 0, i, []);
        }

        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pacer = new Thread(() =>
        {
            try
            {
                for (int b = 0; b < frames[0].Length; b++)
                {
                    if (b > 0 && cancellationToken.WaitHandle.WaitOne(TrickleInterval))
                    {
                        sent.SetCanceled(cancellationToken);
                        return;
                    }

                    for (int i = 0; i < connections.Length; i++)
                    {
                        connections[i].Send(frames[i].AsSpan(b, 1));
                    }
                }

                sent.SetResult();
            }
            catch (Exception e)
            {
                sent.SetException(e);
            }
        })
        { IsBackground = true, Name = "tricklers" };
        pacer.Start();

        // The answers are awaited from the start, off the test's threads too.
        var answers = new Task[connections.Length + 1];
        answers[0] = sent.Task;
        for (int i = 0; i < connections.Length; i++)
        {
            RawKafkaConnection connection = connections[i];
            int correlationId = i;
            answers[i + 1] = Task.Run(
                async () =>
                {
                    byte[] response = await connection.ReceiveFrameAsync(cancellationToken) ?? throw new InvalidOperationException($"Trickler {correlationId} was closed before its request completed.");
                    Assert.Equal(correlationId, ApiVersionsResponse.ParseV0(response).CorrelationId);
                },
                cancellationToken);
        }

        return Task.WhenAll(answers);
    }

    private static async Task SendRepeatedlyAsync(Socket socket, byte[] request, int count, CancellationToken cancellationToken)
    {
        const int PerWrite = 100;
        byte[] batch = new byte[request.Length * PerWrite];
        for (int i = 0; i < PerWrite; i++)
        {
            request.CopyTo(batch, i * request.Length);
        }

        try
        {
            for (int sent = 0; sent < count; sent += PerWrite)
            {
                int offset = 0;
                while (offset < batch.Length)
                {
                    offset += await socket.SendAsync(batch.AsMemory(offset), SocketFlags.None, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Blocked by the broker's backpressure until the test ended it: what we expect.
        }
        catch (SocketException)
        {
            // The broker closed it (idle or shutting down): also fine.
        }
    }

    /// <summary>Fetch v4 of partition 0 from offset 0, up to <paramref name="maxBytes"/>, without waiting.</summary>
    private static byte[] FetchV4Request(string topic, int maxBytes)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(topic);
        byte[] body = new byte[4 + 4 + 4 + 4 + 1 + 4 + 2 + name.Length + 4 + 4 + 8 + 4];
        Span<byte> span = body;
        BinaryPrimitives.WriteInt32BigEndian(span, -1); // replica id: a consumer
        BinaryPrimitives.WriteInt32BigEndian(span[4..], 0); // max wait
        BinaryPrimitives.WriteInt32BigEndian(span[8..], 0); // min bytes
        BinaryPrimitives.WriteInt32BigEndian(span[12..], maxBytes);
        span[16] = 0; // read uncommitted
        BinaryPrimitives.WriteInt32BigEndian(span[17..], 1); // one topic
        BinaryPrimitives.WriteInt16BigEndian(span[21..], (short)name.Length);
        name.CopyTo(span[23..]);
        Span<byte> partition = span[(23 + name.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(partition, 1); // one partition
        BinaryPrimitives.WriteInt32BigEndian(partition[4..], 0);
        BinaryPrimitives.WriteInt64BigEndian(partition[8..], 0); // from the start
        BinaryPrimitives.WriteInt32BigEndian(partition[16..], maxBytes);
        return RawKafkaConnection.Frame(FetchKey, 4, 1, body);
    }

    private static async Task CreateTopicAsync(BrokerProcess broker, string name, int partitions)
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build();
        await admin.CreateTopicsAsync(
            [new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = 1 }],
            new CreateTopicsOptions { RequestTimeout = RequestTimeout, OperationTimeout = RequestTimeout });
    }

    private static int ConsumeCount(BrokerProcess broker, string topic, int expected, CancellationToken cancellationToken)
    {
        using IConsumer<Null, string> consumer = new ConsumerBuilder<Null, string>(ClientConfigs.Consumer(broker.BootstrapServers)).Build();
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        int count = 0;
        while (count < expected)
        {
            ConsumeResult<Null, string> result = consumer.Consume(cancellationToken);
            if (!result.IsPartitionEOF)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>1,000 records of 1,000 random bytes (about 1 MB), all acknowledged.</summary>
    private static void ProduceThousandKilobyteRecords(ProducerConfig config, string topic)
    {
        using IProducer<Null, byte[]> producer = new ProducerBuilder<Null, byte[]>(config).Build();
        var random = new Random(9);
        for (int i = 0; i < 1000; i++)
        {
            byte[] value = new byte[1000];
            random.NextBytes(value);
            producer.Produce(topic, new Message<Null, byte[]> { Value = value });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
    }

    /// <summary>The broker's file descriptors whose path (deleted or renamed) names <paramref name="partitionDir"/>.</summary>
    private static int OpenSegmentFiles(int pid, string partitionDir) =>
        (OpenFiles.Of(pid) ?? throw new PlatformNotSupportedException("/proc/<pid>/fd is Linux's")).Count(target => target.Contains(partitionDir, StringComparison.Ordinal));

    /// <summary>A numeric field of /proc/&lt;pid&gt;/status (VmRSS is in kB).</summary>
    private static int ProcStatus(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
        {
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
            {
                string value = line[(field.Length + 1)..].Trim();
                int space = value.IndexOf(' ', StringComparison.Ordinal);
                return int.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no {field}.");
    }
}
