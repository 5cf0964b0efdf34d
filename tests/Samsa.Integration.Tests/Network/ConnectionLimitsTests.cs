using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Integration.Tests.Clients;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Network;

/// <summary>
/// max.connections, max.connections.per.ip and its overrides on a real broker process: a full
/// address is refused at once, a full broker makes new clients wait (not fail), and the
/// inter-broker listener still gets in. queued.max.requests at its smallest still serves clients.
/// </summary>
public sealed partial class ConnectionLimitsTests
{
    private const short ApiVersionsKey = 18;
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(40);

    // Loopback has the whole of 127/8 on Linux: a second source address is a second "host".
    private static readonly IPAddress OtherHost = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task A_connection_over_the_per_ip_limit_is_closed_at_once_and_an_override_raises_it()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(
            ["max.connections.per.ip=3", "max.connections.per.ip.overrides=127.0.0.2:5"], timeout.Token);
        var open = new List<RawKafkaConnection>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                open.Add(await ConnectServedAsync(broker.Port, null, timeout.Token));
            }

            using (RawKafkaConnection fourth = await RawKafkaConnection.ConnectAsync(broker.Port, timeout.Token))
            {
                await fourth.SendAsync(ApiVersionsRequest(99), timeout.Token);
                Assert.True(await fourth.IsClosedByPeerAsync(timeout.Token), "the fourth connection from 127.0.0.1 was served");
            }

            // The override gives the other address five, independent of what 127.0.0.1 holds.
            for (int i = 0; i < 5; i++)
            {
                open.Add(await ConnectServedAsync(broker.Port, OtherHost, timeout.Token));
            }

            using (RawKafkaConnection sixth = await RawKafkaConnection.ConnectAsync(broker.Port, timeout.Token, OtherHost))
            {
                await sixth.SendAsync(ApiVersionsRequest(99), timeout.Token);
                Assert.True(await sixth.IsClosedByPeerAsync(timeout.Token), "the sixth connection from 127.0.0.2 was served");
            }

            // A closed connection gives its slot back (the broker notices the close asynchronously).
            open[0].Dispose();
            open.RemoveAt(0);
            open.Add(await ConnectServedEventuallyAsync(broker.Port, timeout.Token));

            Assert.Contains("Refused a connection from 127.0.0.1", broker.Output, StringComparison.Ordinal);
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task At_max_connections_a_client_waits_until_one_closes_and_the_inter_broker_listener_is_exempt()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(
            [
                "listeners=PLAINTEXT://127.0.0.1:0,INTERNAL://127.0.0.1:0",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT",
                "inter.broker.listener.name=INTERNAL",
                "max.connections=2",
            ],
            timeout.Token);
        int internalPort = ListenerPort(broker.Output, "INTERNAL");

        using RawKafkaConnection first = await ConnectServedAsync(broker.Port, null, timeout.Token);
        using RawKafkaConnection second = await ConnectServedAsync(broker.Port, null, timeout.Token);

        // The third client connects (the kernel queues it) but is not served while the broker is full.
        using RawKafkaConnection third = await RawKafkaConnection.ConnectAsync(broker.Port, timeout.Token);
        await third.SendAsync(ApiVersionsRequest(3), timeout.Token);
        Task<byte[]?> thirdAnswer = third.ReceiveFrameAsync(timeout.Token);

        // Inter-broker traffic is not held up by client connections; it counts toward the total.
        using (RawKafkaConnection replication = await ConnectServedAsync(internalPort, null, timeout.Token))
        {
            Assert.NotSame(thirdAnswer, await Task.WhenAny(thirdAnswer, Task.Delay(TimeSpan.FromSeconds(1), timeout.Token)));
        }

        second.Dispose();
        byte[] answer = await thirdAnswer.WaitAsync(timeout.Token) ?? throw new InvalidOperationException("The waiting connection was closed instead of served.");
        Assert.Equal(3, ApiVersionsResponse.ParseV0(answer).CorrelationId);
    }

    [Fact]
    public async Task A_one_request_budget_still_serves_a_pipelining_producer_beside_a_long_polling_consumer()
    {
        const int Messages = 2000;
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(
            ["queued.max.requests=1", "queued.max.request.bytes=104857600"], timeout.Token);
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(broker.BootstrapServers)).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "tight", NumPartitions = 2, ReplicationFactor = 1 }]);
        }

        // The consumer's fetches wait in the broker (long poll) while the producer pipelines
        // batches; neither may starve the other of the single budget slot.
        ConsumerConfig consumerConfig = ClientConfigs.Consumer(broker.BootstrapServers);
        consumerConfig.EnablePartitionEof = false;
        consumerConfig.FetchWaitMaxMs = 500;
        using IConsumer<Null, string> consumer = new ConsumerBuilder<Null, string>(consumerConfig).Build();
        consumer.Assign([new TopicPartitionOffset("tight", 0, Offset.Beginning), new TopicPartitionOffset("tight", 1, Offset.Beginning)]);
        Assert.Null(consumer.Consume(TimeSpan.FromMilliseconds(500)));

        ProducerConfig producerConfig = ClientConfigs.Producer(broker.BootstrapServers);
        producerConfig.BatchNumMessages = 10; // many small batches, several in flight at once
        using (IProducer<Null, string> producer = new ProducerBuilder<Null, string>(producerConfig).Build())
        {
            for (int i = 0; i < Messages; i++)
            {
                producer.Produce("tight", new Message<Null, string> { Value = "m" + i.ToString(CultureInfo.InvariantCulture) });
            }

            Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(30)));
        }

        int consumed = 0;
        while (consumed < Messages)
        {
            if (consumer.Consume(timeout.Token) is not null)
            {
                consumed++;
            }
        }

        Assert.Equal(Messages, consumed);
    }

    private static async Task<RawKafkaConnection> ConnectServedAsync(int port, IPAddress? from, CancellationToken cancellationToken)
    {
        RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(port, cancellationToken, from);
        try
        {
            await connection.SendAsync(ApiVersionsRequest(1), cancellationToken);
            byte[] response = await connection.ReceiveFrameAsync(cancellationToken) ?? throw new InvalidOperationException($"A connection from {from?.ToString() ?? "127.0.0.1"} within its limit was closed.");
            Assert.Equal(1, ApiVersionsResponse.ParseV0(response).CorrelationId);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Connects until one is served: a slot freed by a close comes back when the broker sees the close.</summary>
    private static async Task<RawKafkaConnection> ConnectServedEventuallyAsync(int port, CancellationToken cancellationToken)
    {
        while (true)
        {
            RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(port, cancellationToken);
            await connection.SendAsync(ApiVersionsRequest(1), cancellationToken);
            if (await connection.ReceiveFrameAsync(cancellationToken) is not null)
            {
                return connection;
            }

            connection.Dispose();
            await Task.Delay(50, cancellationToken);
        }
    }

    private static byte[] ApiVersionsRequest(int correlationId) => RawKafkaConnection.Frame(ApiVersionsKey, 0, correlationId, []);

    private static int ListenerPort(string output, string listener)
    {
        foreach (Match match in ListeningLine().Matches(output))
        {
            if (match.Groups[2].Value == listener)
            {
                return int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"The broker did not report listening on {listener}:\n{output}");
    }

    [GeneratedRegex(@"Awaiting socket connections on [^ ]+:(\d+) \(([A-Z_]+)\)")]
    private static partial Regex ListeningLine();
}
