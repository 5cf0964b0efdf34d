using Samsa.Broker.Configuration;
using Samsa.Broker.Network;

namespace Samsa.Broker.Tests.Network;

/// <summary>The network keys of server.properties, parsed and checked as Kafka does, reach the socket server.</summary>
public sealed class NetworkOptionsTests
{
    private static NetworkOptions Load(params (string Key, string Value)[] pairs) =>
        NetworkOptions.From(BrokerOptions.Load(Properties(pairs), out _));

    private static ConfigException LoadFails(params (string Key, string Value)[] pairs) =>
        Assert.Throws<ConfigException>(() => BrokerOptions.Load(Properties(pairs), out _));

    private static Dictionary<string, string> Properties((string Key, string Value)[] pairs)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string key, string value) in pairs)
        {
            properties[key] = value;
        }

        return properties;
    }

    [Fact]
    public void Defaults_are_kafkas()
    {
        NetworkOptions options = Load();

        Assert.Equal(int.MaxValue, options.MaxConnections);
        Assert.Equal(int.MaxValue, options.MaxConnectionsPerIp);
        Assert.Empty(options.MaxConnectionsPerIpOverrides);
        Assert.Equal(500, options.QueuedMaxRequests);
        Assert.Equal(-1, options.QueuedMaxRequestBytes);
        Assert.Equal(TimeSpan.FromMinutes(10), options.ConnectionsMaxIdle);
        Assert.Equal(104_857_600, options.SocketRequestMaxBytes);
    }

    [Fact]
    public void Every_limit_is_read_from_its_key()
    {
        NetworkOptions options = Load(
            ("max.connections", "10"),
            ("max.connections.per.ip", "3"),
            ("max.connections.per.ip.overrides", " 127.0.0.1:5 , broker-host:0,::1:4"),
            ("queued.max.requests", "20"),
            ("queued.max.request.bytes", "209715200"),
            ("connections.max.idle.ms", "1500"));

        Assert.Equal(10, options.MaxConnections);
        Assert.Equal(3, options.MaxConnectionsPerIp);
        Assert.Equal(5, options.MaxConnectionsPerIpOverrides["127.0.0.1"]);
        Assert.Equal(0, options.MaxConnectionsPerIpOverrides["broker-host"]);
        Assert.Equal(4, options.MaxConnectionsPerIpOverrides["::1"]);
        Assert.Equal(20, options.QueuedMaxRequests);
        Assert.Equal(209_715_200, options.QueuedMaxRequestBytes);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.ConnectionsMaxIdle);
    }

    [Fact]
    public void A_negative_idle_time_never_closes_idle_connections()
    {
        Assert.Equal(Timeout.InfiniteTimeSpan, Load(("connections.max.idle.ms", "-1")).ConnectionsMaxIdle);
    }

    [Fact]
    public void Zero_connections_per_ip_needs_overrides()
    {
        ConfigException e = LoadFails(("max.connections.per.ip", "0"));
        Assert.Equal("max.connections.per.ip", e.ConfigName);
        Assert.Contains("max.connections.per.ip.overrides", e.Message, StringComparison.Ordinal);

        Assert.Equal(0, Load(("max.connections.per.ip", "0"), ("max.connections.per.ip.overrides", "127.0.0.1:2")).MaxConnectionsPerIp);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.1:many")]
    [InlineData(":3")]
    [InlineData("host:-1")]
    public void A_bad_override_names_the_key(string value)
    {
        Assert.Equal("max.connections.per.ip.overrides", LoadFails(("max.connections.per.ip.overrides", value)).ConfigName);
    }

    [Fact]
    public void A_request_byte_cap_below_one_request_is_refused_and_zero_means_unbounded()
    {
        ConfigException e = LoadFails(("queued.max.request.bytes", "1000"));
        Assert.Equal("queued.max.request.bytes", e.ConfigName);
        Assert.Contains("socket.request.max.bytes", e.Message, StringComparison.Ordinal);

        Assert.Equal(-1, Load(("queued.max.request.bytes", "0")).QueuedMaxRequestBytes);
        Assert.Equal(1000, Load(("queued.max.request.bytes", "1000"), ("socket.request.max.bytes", "1000")).QueuedMaxRequestBytes);
    }
}
