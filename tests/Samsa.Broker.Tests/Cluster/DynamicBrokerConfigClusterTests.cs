using System.Text;
using Samsa.Broker.Configuration;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Cluster;

/// <summary>
/// Dynamic broker configs over the wire on two in-process brokers sharing one coordination store:
/// stored where Kafka stores them, followed by the other broker, refused as Kafka refuses them, and
/// read again after a restart.
/// </summary>
public sealed class DynamicBrokerConfigClusterTests
{
    private const sbyte Broker = 4;
    private const sbyte Set = 0;
    private const sbyte Delete = 1;
    private const sbyte Append = 2;

    private static IncrementalAlterConfigsRequestData Incremental(string resource, bool validateOnly, params (string Name, sbyte Op, string? Value)[] ops)
    {
        var entry = new IncrementalAlterConfigsRequestData.AlterConfigsResource { ResourceType = Broker, ResourceName = resource };
        foreach ((string name, sbyte op, string? value) in ops)
        {
            entry.Configs.Add(new IncrementalAlterConfigsRequestData.AlterableConfig { Name = name, ConfigOperation = op, Value = value });
        }

        var request = new IncrementalAlterConfigsRequestData { ValidateOnly = validateOnly };
        request.Resources.Add(entry);
        return request;
    }

    private static async Task<IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse> AlterAsync(InProcessCluster cluster, int brokerId, string resource, params (string Name, sbyte Op, string? Value)[] ops)
    {
        IncrementalAlterConfigsResponseData response = await cluster.SendAsync<IncrementalAlterConfigsResponseData>(brokerId, Incremental(resource, false, ops), 1);
        return Assert.Single(response.Responses);
    }

    private static async Task<DescribeConfigsResponseData.DescribeConfigsResult> DescribeAsync(InProcessCluster cluster, int brokerId, string resource)
    {
        var request = new DescribeConfigsRequestData { IncludeSynonyms = true };
        request.Resources.Add(new DescribeConfigsRequestData.DescribeConfigsResource { ResourceType = Broker, ResourceName = resource, ConfigurationKeys = null });
        DescribeConfigsResponseData response = await cluster.SendAsync<DescribeConfigsResponseData>(brokerId, request, 4);
        return Assert.Single(response.Results);
    }

    private static DescribeConfigsResponseData.DescribeConfigsResourceResult Config(DescribeConfigsResponseData.DescribeConfigsResult result, string name) =>
        Assert.Single(result.Configs, c => c.Name == name);

    private static async Task<string?> StoredAsync(InProcessCluster cluster, string entity)
    {
        NodeData? node = await cluster.Store.GetDataAsync(ZkPaths.BrokerConfig(entity));
        return node is null ? null : Encoding.UTF8.GetString(node.Data.Span);
    }

    [Fact]
    public async Task A_cluster_default_set_on_one_broker_is_stored_as_kafka_stores_it_and_followed_by_the_other()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(2);

        var result = await AlterAsync(cluster, 1, "", ("log.retention.ms", Set, "3600000"), ("log.cleanup.policy", Append, "compact"));
        Assert.Equal((short)ErrorCode.None, result.ErrorCode);
        Assert.Equal("""{"version":1,"config":{"log.cleanup.policy":"delete,compact","log.retention.ms":"3600000"}}""", await StoredAsync(cluster, "<default>"));

        IReadOnlyList<string>? changes = await cluster.Store.GetChildrenAsync(ZkPaths.ConfigChanges);
        string last = changes!.Max(StringComparer.Ordinal)!;
        NodeData? notification = await cluster.Store.GetDataAsync(ZkPaths.ConfigChanges + "/" + last);
        Assert.Equal("brokers/<default>", ConfigChangeZNode.DecodeEntityPath(notification!.Data.Span));

        // The broker that took the request answers with the change in effect.
        DescribeConfigsResponseData.DescribeConfigsResourceResult own = Config(await DescribeAsync(cluster, 1, "1"), "log.retention.ms");
        Assert.Equal("3600000", own.Value);
        Assert.Equal((sbyte)ConfigSource.DynamicDefaultBrokerConfig, own.ConfigSource);
        Assert.False(own.ReadOnly);

        // The other follows its watch.
        await InProcessCluster.WaitUntilAsync(
            async () => Config(await DescribeAsync(cluster, 2, "2"), "log.retention.ms").Value == "3600000",
            "broker 2 applies the new default");

        // Describing "" lists the defaults only.
        DescribeConfigsResponseData.DescribeConfigsResult defaults = await DescribeAsync(cluster, 2, "");
        Assert.Equal((short)ErrorCode.None, defaults.ErrorCode);
        Assert.Equal(["log.cleanup.policy", "log.retention.ms"], defaults.Configs.Select(c => c.Name).Order(StringComparer.Ordinal));
        Assert.All(defaults.Configs, c => Assert.Equal((sbyte)ConfigSource.DynamicDefaultBrokerConfig, c.ConfigSource));
    }

    [Fact]
    public async Task A_dynamic_max_connections_per_ip_applies_to_new_connections_at_once()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(1);
        Assert.Equal((short)ErrorCode.None, (await AlterAsync(cluster, 1, "", ("max.connections.per.ip", Set, "1"))).ErrorCode);
        int port = cluster.Brokers[1].BoundEndpoints[0].Port;

        // The admin connection that made the change is the one 127.0.0.1 may keep; the next is closed.
        using (var refused = new System.Net.Sockets.TcpClient())
        {
            await refused.ConnectAsync(System.Net.IPAddress.Loopback, port);
            using var deadline = new CancellationTokenSource(InProcessCluster.Patience);
            Assert.Equal(0, await refused.GetStream().ReadAsync(new byte[1], deadline.Token));
        }

        Assert.Equal((short)ErrorCode.None, (await AlterAsync(cluster, 1, "", ("max.connections.per.ip", Delete, null))).ErrorCode);
        await using var client = new Samsa.Broker.InterBroker.BrokerClient("127.0.0.1", port, "second", new Samsa.Broker.InterBroker.BrokerClientOptions(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        ApiVersionsResponseData versions = await client.SendAsync<ApiVersionsResponseData>(new ApiVersionsRequestData(), 0, CancellationToken.None);
        Assert.Equal((short)ErrorCode.None, versions.ErrorCode);
    }

    [Fact]
    public async Task A_per_broker_config_applies_to_that_broker_only_and_delete_falls_back()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(2);
        Assert.Equal((short)ErrorCode.None, (await AlterAsync(cluster, 1, "", ("message.max.bytes", Set, "500000"))).ErrorCode);
        Assert.Equal((short)ErrorCode.None, (await AlterAsync(cluster, 2, "2", ("message.max.bytes", Set, "400000"))).ErrorCode);
        Assert.NotNull(await StoredAsync(cluster, "2"));

        DescribeConfigsResponseData.DescribeConfigsResourceResult two = Config(await DescribeAsync(cluster, 2, "2"), "message.max.bytes");
        Assert.Equal("400000", two.Value);
        Assert.Equal((sbyte)ConfigSource.DynamicBrokerConfig, two.ConfigSource);
        Assert.Equal(
            [("message.max.bytes", "400000", (sbyte)ConfigSource.DynamicBrokerConfig), ("message.max.bytes", "500000", (sbyte)ConfigSource.DynamicDefaultBrokerConfig), ("message.max.bytes", "1048588", (sbyte)ConfigSource.DefaultConfig)],
            two.Synonyms.Select(s => (s.Name, s.Value ?? "null", s.Source)));

        await InProcessCluster.WaitUntilAsync(
            async () => Config(await DescribeAsync(cluster, 1, "1"), "message.max.bytes").Value == "500000",
            "broker 1 has the default, not broker 2's own value");

        Assert.Equal((short)ErrorCode.None, (await AlterAsync(cluster, 2, "2", ("message.max.bytes", Delete, null))).ErrorCode);
        Assert.Equal("500000", Config(await DescribeAsync(cluster, 2, "2"), "message.max.bytes").Value);
    }

    [Fact]
    public async Task Read_only_unknown_and_bad_values_are_refused_and_nothing_is_stored()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(1);

        var readOnly = await AlterAsync(cluster, 1, "1", ("log.dirs", Set, "/tmp/x"), ("broker.id", Set, "5"), ("log.retention.ms", Set, "1000"));
        Assert.Equal((short)ErrorCode.InvalidRequest, readOnly.ErrorCode);
        Assert.Equal("Invalid config value for resource ConfigResource(type=BROKER, name='1'): Cannot update these configs dynamically: Set(broker.id, log.dirs)", readOnly.ErrorMessage);

        var hours = await AlterAsync(cluster, 1, "", ("log.retention.hours", Set, "1"));
        Assert.Equal((short)ErrorCode.InvalidRequest, hours.ErrorCode);
        Assert.EndsWith("Set(log.retention.hours)", hours.ErrorMessage, StringComparison.Ordinal);

        var unknown = await AlterAsync(cluster, 1, "1", ("no.such.key", Set, "1"));
        Assert.Equal((short)ErrorCode.InvalidConfig, unknown.ErrorCode);
        Assert.Contains("no.such.key", unknown.ErrorMessage, StringComparison.Ordinal);

        var badValue = await AlterAsync(cluster, 1, "1", ("log.retention.ms", Set, "soon"));
        Assert.Equal((short)ErrorCode.InvalidConfig, badValue.ErrorCode);
        Assert.Equal("Invalid value soon for configuration log.retention.ms: Not a number of type LONG", badValue.ErrorMessage);

        var outOfRange = await AlterAsync(cluster, 1, "1", ("log.cleanup.policy", Set, "shred"));
        Assert.Equal((short)ErrorCode.InvalidConfig, outOfRange.ErrorCode);
        Assert.Contains("log.cleanup.policy", outOfRange.ErrorMessage, StringComparison.Ordinal);

        var otherBroker = await AlterAsync(cluster, 1, "2", ("log.retention.ms", Set, "1000"));
        Assert.Equal((short)ErrorCode.InvalidRequest, otherBroker.ErrorCode);
        Assert.Equal("Unexpected broker id, expected 1, but received 2", otherBroker.ErrorMessage);

        var describeOther = await DescribeAsync(cluster, 1, "2");
        Assert.Equal((short)ErrorCode.InvalidRequest, describeOther.ErrorCode);

        IncrementalAlterConfigsResponseData validateOnly = await cluster.SendAsync<IncrementalAlterConfigsResponseData>(1, Incremental("1", true, ("log.retention.ms", Set, "1000")), 1);
        Assert.Equal((short)ErrorCode.None, Assert.Single(validateOnly.Responses).ErrorCode);

        Assert.Null(await StoredAsync(cluster, "1"));
        Assert.Null(await StoredAsync(cluster, "<default>"));
        Assert.Equal((sbyte)ConfigSource.DefaultConfig, Config(await DescribeAsync(cluster, 1, "1"), "log.retention.ms").ConfigSource);
    }

    [Fact]
    public async Task Legacy_alter_configs_replaces_the_whole_dynamic_set()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(1);
        Assert.Equal((short)ErrorCode.None, (await AlterAsync(cluster, 1, "1", ("log.retention.ms", Set, "1000"), ("min.insync.replicas", Set, "1"))).ErrorCode);

        var request = new AlterConfigsRequestData();
        var resource = new AlterConfigsRequestData.AlterConfigsResource { ResourceType = Broker, ResourceName = "1" };
        resource.Configs.Add(new AlterConfigsRequestData.AlterableConfig { Name = "log.segment.bytes", Value = "1048576" });
        request.Resources.Add(resource);
        AlterConfigsResponseData response = await cluster.SendAsync<AlterConfigsResponseData>(1, request, 1);
        Assert.Equal((short)ErrorCode.None, Assert.Single(response.Responses).ErrorCode);

        Assert.Equal("""{"version":1,"config":{"log.segment.bytes":"1048576"}}""", await StoredAsync(cluster, "1"));
        DescribeConfigsResponseData.DescribeConfigsResult described = await DescribeAsync(cluster, 1, "1");
        Assert.Equal((sbyte)ConfigSource.DynamicBrokerConfig, Config(described, "log.segment.bytes").ConfigSource);
        Assert.Equal((sbyte)ConfigSource.DefaultConfig, Config(described, "min.insync.replicas").ConfigSource);
    }

    [Fact]
    public async Task Dynamic_configs_are_read_again_when_a_broker_restarts()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(1);
        Assert.Equal((short)ErrorCode.None, (await AlterAsync(cluster, 1, "1", ("log.segment.bytes", Set, "2097152"))).ErrorCode);
        Assert.Equal((short)ErrorCode.None, (await AlterAsync(cluster, 1, "", ("compression.type", Set, "lz4"))).ErrorCode);

        await cluster.StopAsync(1);
        await cluster.StartBrokerAsync(1);

        DescribeConfigsResponseData.DescribeConfigsResult described = await DescribeAsync(cluster, 1, "1");
        Assert.Equal("2097152", Config(described, "log.segment.bytes").Value);
        Assert.Equal((sbyte)ConfigSource.DynamicBrokerConfig, Config(described, "log.segment.bytes").ConfigSource);
        Assert.Equal("lz4", Config(described, "compression.type").Value);
        Assert.Equal((sbyte)ConfigSource.DynamicDefaultBrokerConfig, Config(described, "compression.type").ConfigSource);
    }
}
