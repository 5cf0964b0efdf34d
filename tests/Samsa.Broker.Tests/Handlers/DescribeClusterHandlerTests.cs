using Samsa.Broker.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Tests.Handlers;

public sealed class DescribeClusterHandlerTests
{
    [Fact]
    public async Task Answers_cluster_id_controller_and_the_brokers_endpoint_for_the_listener()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync(rack: "rack-a");
        var handler = new DescribeClusterHandler(broker.Metadata);

        DescribeClusterResponseData response = await handler.CallAsync<DescribeClusterResponseData>(new DescribeClusterRequestData(), 1);

        Assert.Equal((short)ErrorCode.None, response.ErrorCode);
        Assert.Equal("test-cluster", response.ClusterId);
        Assert.Equal(LocalBrokerParts.BrokerId, response.ControllerId);
        Assert.Equal(1, response.EndpointType);
        DescribeClusterResponseData.DescribeClusterBroker single = Assert.Single(response.Brokers);
        Assert.Equal(LocalBrokerParts.BrokerId, single.BrokerId);
        Assert.Equal(LocalBrokerParts.Host, single.Host);
        Assert.Equal(LocalBrokerParts.Port, single.Port);
        Assert.Equal("rack-a", single.Rack);
        Assert.Equal(int.MinValue, response.ClusterAuthorizedOperations);
    }

    [Fact]
    public async Task Authorized_operations_are_every_cluster_operation_when_asked()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        var handler = new DescribeClusterHandler(broker.Metadata);

        DescribeClusterResponseData response = await handler.CallAsync<DescribeClusterResponseData>(new DescribeClusterRequestData { IncludeClusterAuthorizedOperations = true }, 0);

        // CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
        Assert.Equal(0b1_1111_1010_0000, response.ClusterAuthorizedOperations);
    }

    [Fact]
    public async Task A_listener_without_endpoints_lists_no_brokers()
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        var handler = new DescribeClusterHandler(broker.Metadata);

        DescribeClusterResponseData response = await handler.CallAsync<DescribeClusterResponseData>(new DescribeClusterRequestData(), 1, listener: "OTHER");

        Assert.Empty(response.Brokers);
    }

    [Theory]
    [InlineData(2, ErrorCode.MismatchedEndpointType)]
    [InlineData(0, ErrorCode.UnsupportedEndpointType)]
    public async Task Asking_a_broker_for_controller_endpoints_fails(sbyte endpointType, ErrorCode expected)
    {
        await using LocalBrokerParts broker = await LocalBrokerParts.StartAsync();
        var handler = new DescribeClusterHandler(broker.Metadata);

        DescribeClusterResponseData response = await handler.CallAsync<DescribeClusterResponseData>(new DescribeClusterRequestData { EndpointType = endpointType }, 1);

        Assert.Equal((short)expected, response.ErrorCode);
        Assert.NotNull(response.ErrorMessage);
        Assert.Empty(response.Brokers);
    }
}
