using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Integration.Tests.Clients;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Network;

/// <summary>
/// Regressions for what the hostile-input fuzzer found (docs/reliability.md, "Hostile input").
/// A mutated CreatePartitions asking for 2^31 partitions had the controller build a 240 MB
/// assignment (broker RSS 2.6 GB, an ERROR from the coordination store) and stalled every other
/// client for half a minute; now, as in Kafka's KRaft controller, more than 10,000 partitions in
/// one request is a POLICY_VIOLATION answered at once. And a Fetch parked for max_wait_ms =
/// 2^31-1 on a connection the client then closed kept that socket (CLOSE_WAIT) and its buffers for
/// 24 days, and cost every clean shutdown its full 10 s grace; now the client's close cancels it.
/// </summary>
public sealed class FuzzFindingsTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_CreatePartitions_for_a_hundred_thousand_partitions_is_a_policy_violation_and_changes_nothing()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        const string Topic = "fuzz-finding-partitions";
        await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = 1, ReplicationFactor = 1 }]).WaitAsync(TestTimeout);

        // librdkafka itself stops at 100,000; before the cap this count already made an assignment over the 1 MB znode limit.
        var refused = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = Topic, IncreaseTo = 100_000 }]).WaitAsync(TestTimeout));
        Assert.Equal(ErrorCode.PolicyViolation, Assert.Single(refused.Results).Error.Code);

        // Just over the cap is refused too; just under is fine.
        refused = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = Topic, IncreaseTo = 1 + 10_001 }]).WaitAsync(TestTimeout));
        Assert.Equal(ErrorCode.PolicyViolation, Assert.Single(refused.Results).Error.Code);
        await admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = Topic, IncreaseTo = 3 }]).WaitAsync(TestTimeout);

        TopicDescription described = Assert.Single((await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([Topic])).WaitAsync(TestTimeout)).TopicDescriptions);
        Assert.Equal(3, described.Partitions.Count);
    }

    [Fact]
    public async Task A_CreateTopics_for_more_than_ten_thousand_partitions_is_a_policy_violation()
    {
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        var refused = await Assert.ThrowsAsync<CreateTopicsException>(() => admin.CreateTopicsAsync(
        [
            new TopicSpecification { Name = "fuzz-finding-huge-a", NumPartitions = 6_000, ReplicationFactor = 1 },
            new TopicSpecification { Name = "fuzz-finding-huge-b", NumPartitions = 6_000, ReplicationFactor = 1 },
        ]).WaitAsync(TestTimeout));
        Assert.Equal(2, refused.Results.Count);
        Assert.All(refused.Results, r => Assert.Equal(ErrorCode.PolicyViolation, r.Error.Code));

        // Nothing was created; a sane request right after is served.
        Metadata metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(metadata.Topics, t => t.Topic.StartsWith("fuzz-finding-huge", StringComparison.Ordinal));
        await admin.CreateTopicsAsync([new TopicSpecification { Name = "fuzz-finding-sane", NumPartitions = 2, ReplicationFactor = 1 }]).WaitAsync(TestTimeout);
    }

    [Fact]
    public async Task Fetches_parked_on_connections_the_client_closed_do_not_keep_their_sockets()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        const string Topic = "fuzz-finding-parked";
        await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = 1, ReplicationFactor = 1 }]).WaitAsync(TestTimeout);

        int baseline = OpenFiles();
        const int Parked = 30;
        var connections = new List<RawKafkaConnection>(Parked);
        for (int i = 0; i < Parked; i++)
        {
            RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.Port, timeout.Token);
            connections.Add(connection);
            await connection.SendAsync(ParkedFetchV4(Topic, i), timeout.Token);
        }

        // First the broker must hold every socket (else the poll below could pass before it took them).
        while (OpenFiles() < baseline + Parked && !timeout.IsCancellationRequested)
        {
            await Task.Delay(100, CancellationToken.None);
        }

        Assert.True(OpenFiles() >= baseline + Parked, $"the broker never held the {Parked} parked connections");
        foreach (RawKafkaConnection connection in connections)
        {
            connection.Dispose();
        }

        // Each socket the broker still held would be one more open file; poll until they are gone.
        int open = OpenFiles();
        while (open > baseline + (Parked / 3) && !timeout.IsCancellationRequested)
        {
            await Task.Delay(100, CancellationToken.None);
            open = OpenFiles();
        }

        Assert.True(open <= baseline + (Parked / 3), $"the broker holds {open} files, {baseline} before {Parked} parked fetches whose clients closed");
    }

    [Fact]
    public async Task A_fetch_parked_for_days_is_answered_when_the_broker_shuts_down_and_does_not_hold_the_shutdown()
    {
        // A broker of its own: this one is stopped. Before the fix the parked fetch held the
        // shutdown for its whole 10-s grace and was then cut off unanswered.
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        const string Topic = "fuzz-finding-parked-at-shutdown";
        using (IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin("127.0.0.1:" + broker.Port.ToString(CultureInfo.InvariantCulture))).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = 1, ReplicationFactor = 1 }]).WaitAsync(TestTimeout);
        }

        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(broker.Port, timeout.Token);
        await connection.SendAsync(ParkedFetchV4(Topic, 7), timeout.Token);
        Task<byte[]?> answer = connection.ReceiveFrameAsync(timeout.Token);

        // Parked (no answer while the broker runs), then SIGTERM: answered, and the broker exits
        // within the grace the fetch would otherwise have used up.
        Assert.NotSame(answer, await Task.WhenAny(answer, Task.Delay(TimeSpan.FromSeconds(1), timeout.Token)));
        long stopping = Environment.TickCount64;
        Task<int> stopped = broker.StopAsync(timeout.Token);
        byte[]? frame = await answer;
        Assert.NotNull(frame);
        Assert.Equal(7, BinaryPrimitives.ReadInt32BigEndian(frame)); // the correlation id: the fetch's own answer
        Assert.Equal(0, await stopped);
        Assert.InRange(Environment.TickCount64 - stopping, 0, 9_000);
    }

    private int OpenFiles() => Directory.GetFiles("/proc/" + fixture.Broker.ProcessId.ToString(CultureInfo.InvariantCulture) + "/fd").Length;

    /// <summary>Fetch v4 for partition 0 from offset 0 that waits 2^31-1 ms for 1 GiB: it parks until cancelled.</summary>
    private static byte[] ParkedFetchV4(string topic, int correlationId)
    {
        byte[] name = Encoding.UTF8.GetBytes(topic);
        byte[] body = new byte[4 + 4 + 4 + 4 + 1 + 4 + 2 + name.Length + 4 + 4 + 8 + 4];
        Span<byte> span = body;
        BinaryPrimitives.WriteInt32BigEndian(span, -1); // replica id: a consumer
        BinaryPrimitives.WriteInt32BigEndian(span[4..], int.MaxValue); // max wait ms
        BinaryPrimitives.WriteInt32BigEndian(span[8..], 1 << 30); // min bytes
        BinaryPrimitives.WriteInt32BigEndian(span[12..], 1 << 20); // max bytes
        span[16] = 0; // isolation level
        BinaryPrimitives.WriteInt32BigEndian(span[17..], 1); // one topic
        BinaryPrimitives.WriteInt16BigEndian(span[21..], (short)name.Length);
        name.CopyTo(span[23..]);
        int at = 23 + name.Length;
        BinaryPrimitives.WriteInt32BigEndian(span[at..], 1); // one partition
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 4)..], 0); // partition 0
        BinaryPrimitives.WriteInt64BigEndian(span[(at + 8)..], 0); // fetch offset
        BinaryPrimitives.WriteInt32BigEndian(span[(at + 16)..], 1 << 20); // partition max bytes
        return RawKafkaConnection.Frame(1, 4, correlationId, body);
    }
}
