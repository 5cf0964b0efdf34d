using Samsa.Coordination.ZooKeeper;

namespace Samsa.Coordination.Tests.ZooKeeper;

public sealed class ConnectStringTests
{
    [Fact]
    public void Parses_hosts_ports_and_chroot()
    {
        ConnectString parsed = ConnectString.Parse("zk1:2181, zk2:2182,zk3/kafka/cluster-a", new Random(7));

        Assert.Equal("/kafka/cluster-a", parsed.Chroot);
        Assert.Equal(3, parsed.Servers.Count);
        Assert.Contains(new ZooKeeperEndpoint("zk1", 2181), parsed.Servers);
        Assert.Contains(new ZooKeeperEndpoint("zk2", 2182), parsed.Servers);
        Assert.Contains(new ZooKeeperEndpoint("zk3", ConnectString.DefaultPort), parsed.Servers);
    }

    [Fact]
    public void Hosts_are_shuffled_so_clients_spread_over_the_ensemble()
    {
        var firsts = new HashSet<string>();
        var random = new Random(1);
        for (int i = 0; i < 50; i++)
        {
            firsts.Add(ConnectString.Parse("a:1,b:2,c:3", random).Servers[0].Host);
        }

        Assert.Equal(3, firsts.Count);
    }

    [Fact]
    public void Ipv6_hosts_are_bracketed()
    {
        ConnectString parsed = ConnectString.Parse("[::1]:2181");
        Assert.Equal(new ZooKeeperEndpoint("::1", 2181), parsed.Servers[0]);
        Assert.Null(parsed.Chroot);
    }

    [Theory]
    [InlineData("/samsa", "/", "/samsa")]
    [InlineData("/samsa", "/brokers/ids/1", "/samsa/brokers/ids/1")]
    [InlineData(null, "/brokers", "/brokers")]
    public void Paths_map_both_ways(string? chroot, string clientPath, string serverPath)
    {
        ConnectString parsed = ConnectString.Parse("h:1" + chroot);
        Assert.Equal(serverPath, parsed.ToServerPath(clientPath));
        Assert.Equal(clientPath, parsed.ToClientPath(serverPath));
    }

    [Fact]
    public void A_trailing_slash_means_no_chroot_and_similar_prefixes_are_not_stripped()
    {
        Assert.Null(ConnectString.Parse("h:1/").Chroot);
        Assert.Equal("/samsa2/x", ConnectString.Parse("h:1/samsa").ToClientPath("/samsa2/x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/chroot-only")]
    [InlineData("h:0")]
    [InlineData("h:65536")]
    [InlineData("h:port")]
    [InlineData("h:1/bad/")]
    [InlineData("h:1/a//b")]
    [InlineData(":2181")]
    public void Malformed_strings_are_rejected(string connectString)
    {
        Assert.ThrowsAny<ArgumentException>(() => ConnectString.Parse(connectString));
    }
}
