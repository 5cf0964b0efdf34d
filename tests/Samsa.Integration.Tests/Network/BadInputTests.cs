using System.Buffers.Binary;
using Confluent.Kafka;
using Samsa.Integration.Tests.Clients;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Network;

/// <summary>
/// Bad bytes on one connection end that connection (or get an error response) and nothing else:
/// after each, a new raw connection and a Confluent client are still served.
/// </summary>
public sealed class BadInputTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const short ApiVersionsKey = 18;
    private const short MetadataKey = 3;
    private const short ApiVersionsMaxVersion = 4;
    private const short UnsupportedVersion = 35;
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ApiVersions_v0_lists_the_broker_apis()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.Port, timeout.Token);
        await connection.SendAsync(RawKafkaConnection.Frame(ApiVersionsKey, 0, 7, []), timeout.Token);

        ApiVersionsResponse response = ApiVersionsResponse.ParseV0(await ReceiveAsync(connection, timeout.Token));
        Assert.Equal(7, response.CorrelationId);
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal((0, ApiVersionsMaxVersion), response.ApiKeys[ApiVersionsKey]);
        Assert.Contains((short)0, response.ApiKeys.Keys); // Produce
        Assert.Contains((short)1, response.ApiKeys.Keys); // Fetch
        Assert.Contains(MetadataKey, response.ApiKeys.Keys);
    }

    [Fact]
    public async Task ApiVersions_v3_uses_a_v0_response_header_and_a_flexible_body()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.Port, timeout.Token);
        await connection.SendAsync(RawKafkaConnection.Frame(ApiVersionsKey, 3, 8, ApiVersionsV3Body(), flexibleHeader: true), timeout.Token);

        ApiVersionsResponse response = ApiVersionsResponse.ParseV3(await ReceiveAsync(connection, timeout.Token));
        Assert.Equal(8, response.CorrelationId);
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal((0, ApiVersionsMaxVersion), response.ApiKeys[ApiVersionsKey]);
    }

    [Fact]
    public async Task A_too_new_ApiVersions_gets_the_KIP_511_fallback_and_the_connection_stays_open()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.Port, timeout.Token);
        await connection.SendAsync(RawKafkaConnection.Frame(ApiVersionsKey, 99, 9, ApiVersionsV3Body(), flexibleHeader: true), timeout.Token);

        ApiVersionsResponse fallback = ApiVersionsResponse.ParseV0(await ReceiveAsync(connection, timeout.Token));
        Assert.Equal(9, fallback.CorrelationId);
        Assert.Equal(UnsupportedVersion, fallback.ErrorCode);
        KeyValuePair<short, (short Min, short Max)> only = Assert.Single(fallback.ApiKeys);
        Assert.Equal(ApiVersionsKey, only.Key);
        Assert.Equal((0, ApiVersionsMaxVersion), only.Value);

        // The client retries at the advertised maximum on the same connection.
        await connection.SendAsync(RawKafkaConnection.Frame(ApiVersionsKey, ApiVersionsMaxVersion, 10, ApiVersionsV3Body(), flexibleHeader: true), timeout.Token);
        ApiVersionsResponse retried = ApiVersionsResponse.ParseV3(await ReceiveAsync(connection, timeout.Token));
        Assert.Equal(10, retried.CorrelationId);
        Assert.Equal(0, retried.ErrorCode);
        Assert.True(retried.ApiKeys.Count > 5);
    }

    [Fact]
    public async Task Garbage_bytes_close_the_connection()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);

        // An HTTP request: its first four bytes read as a 1.1 GB size prefix.
        await AssertClosedAfterAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray(), timeout.Token);

        // A plausible size prefix over random bytes: an unknown API key, or a body that does not parse.
        byte[] noise = new byte[4 + 64];
        new Random(5).NextBytes(noise.AsSpan(4));
        BinaryPrimitives.WriteInt32BigEndian(noise, 64);
        BinaryPrimitives.WriteInt16BigEndian(noise.AsSpan(4), 0x5A5A);
        await AssertClosedAfterAsync(noise, timeout.Token);

        await AssertBrokerServesOthersAsync(timeout.Token);
    }

    [Fact]
    public async Task A_2_GB_size_prefix_closes_the_connection()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await AssertClosedAfterAsync([0x7F, 0xFF, 0xFF, 0xFF], timeout.Token);
        await AssertClosedAfterAsync([0x80, 0x00, 0x00, 0x00], timeout.Token); // negative size
        await AssertBrokerServesOthersAsync(timeout.Token);
    }

    [Fact]
    public async Task An_unknown_api_key_closes_the_connection_after_answering_what_came_before()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.Port, timeout.Token);

        // A good request pipelined before the bad one is still answered.
        byte[] good = RawKafkaConnection.Frame(ApiVersionsKey, 0, 1, []);
        byte[] bad = RawKafkaConnection.Frame(0x7FFF, 0, 2, []);
        await connection.SendAsync([.. good, .. bad], timeout.Token);

        Assert.Equal(1, ApiVersionsResponse.ParseV0(await ReceiveAsync(connection, timeout.Token)).CorrelationId);
        Assert.True(await connection.IsClosedByPeerAsync(timeout.Token));

        await AssertClosedAfterAsync(RawKafkaConnection.Frame(1000, 0, 3, []), timeout.Token);
        await AssertClosedAfterAsync(RawKafkaConnection.Frame(-1, 0, 4, []), timeout.Token);
        await AssertBrokerServesOthersAsync(timeout.Token);
    }

    [Fact]
    public async Task An_unsupported_version_of_a_known_api_closes_the_connection()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await AssertClosedAfterAsync(RawKafkaConnection.Frame(MetadataKey, 99, 1, [], flexibleHeader: true), timeout.Token);
        await AssertClosedAfterAsync(RawKafkaConnection.Frame(MetadataKey, -1, 2, []), timeout.Token);
        await AssertBrokerServesOthersAsync(timeout.Token);
    }

    [Fact]
    public async Task A_request_body_that_ends_early_closes_the_connection()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);

        // Metadata v1: a topics array of five names, none of which follow.
        byte[] body = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(body, 5);
        await AssertClosedAfterAsync(RawKafkaConnection.Frame(MetadataKey, 1, 1, body), timeout.Token);

        // A header cut inside the client id.
        byte[] header = RawKafkaConnection.Frame(ApiVersionsKey, 0, 2, []);
        byte[] cut = header[..12];
        BinaryPrimitives.WriteInt32BigEndian(cut, cut.Length - 4);
        await AssertClosedAfterAsync(cut, timeout.Token);

        await AssertBrokerServesOthersAsync(timeout.Token);
    }

    [Fact]
    public async Task A_frame_cut_off_by_the_client_closing_its_side_closes_the_connection()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.Port, timeout.Token);
        byte[] frame = RawKafkaConnection.Frame(ApiVersionsKey, 0, 1, new byte[100]);
        await connection.SendAsync(frame[..20], timeout.Token);
        connection.ShutdownSend();

        Assert.True(await connection.IsClosedByPeerAsync(timeout.Token));
        await AssertBrokerServesOthersAsync(timeout.Token);
    }

    private async Task AssertClosedAfterAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(fixture.Broker.Port, cancellationToken);
        await connection.SendAsync(bytes, cancellationToken);
        Assert.True(await connection.IsClosedByPeerAsync(cancellationToken), $"the broker answered {Convert.ToHexString(bytes.AsSpan(0, Math.Min(bytes.Length, 16)))}... instead of closing");
    }

    /// <summary>A new raw connection gets ApiVersions, and a Confluent client gets metadata.</summary>
    private async Task AssertBrokerServesOthersAsync(CancellationToken cancellationToken)
    {
        using (RawKafkaConnection other = await RawKafkaConnection.ConnectAsync(fixture.Broker.Port, cancellationToken))
        {
            await other.SendAsync(RawKafkaConnection.Frame(ApiVersionsKey, 0, 42, []), cancellationToken);
            ApiVersionsResponse response = ApiVersionsResponse.ParseV0(await ReceiveAsync(other, cancellationToken));
            Assert.Equal(42, response.CorrelationId);
            Assert.Equal(0, response.ErrorCode);
        }

        using IAdminClient admin = new AdminClientBuilder(ClientConfigs.Admin(fixture.BootstrapServers)).Build();
        Metadata metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        Assert.Equal(fixture.Broker.Port, Assert.Single(metadata.Brokers).Port);
    }

    private static async Task<byte[]> ReceiveAsync(RawKafkaConnection connection, CancellationToken cancellationToken) =>
        await connection.ReceiveFrameAsync(cancellationToken) ?? throw new InvalidOperationException("The broker closed the connection instead of answering.");

    /// <summary>ApiVersions v3+ body: compact client software name and version, no tags.</summary>
    private static byte[] ApiVersionsV3Body()
    {
        byte[] name = "samsa-raw"u8.ToArray();
        byte[] version = "1.0"u8.ToArray();
        return [(byte)(name.Length + 1), .. name, (byte)(version.Length + 1), .. version, 0];
    }
}
