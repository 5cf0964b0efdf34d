using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.Handlers;
using Samsa.Broker.Partitions;
using Samsa.Broker.Tests.Controller;
using Samsa.Broker.Tests.Handlers;
using Samsa.Broker.ZNodes;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Configuration;

/// <summary>
/// AlterConfigs, IncrementalAlterConfigs and DescribeConfigs on a store that misbehaves: a config
/// write whose answer was lost (a ZooKeeper leader election) is sent again, and the edit, applied
/// once more to what it wrote, leaves the same set; a store that keeps failing answers the
/// resource REQUEST_TIMED_OUT instead of an exception that drops the admin client's connection.
/// </summary>
public sealed class ConfigStoreFailureTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new("config-store-failure");
    private ControllerBed _bed = null!;
    private TopicConfigWatcher _topicWatcher = null!;
    private BrokerConfigWatcher _brokerWatcher = null!;
    private DynamicBrokerConfig _brokerConfig = null!;

    public async Task InitializeAsync()
    {
        _bed = await ControllerBed.StartAsync();
        await _bed.CreateTopicAsync(new Dictionary<int, int[]> { [0] = [1, 2] });
        BrokerOptions options = BrokerOptions.Load(new Dictionary<string, string> { ["broker.id"] = "1", ["log.dirs"] = _dir.Combine("logs") }, out _);
        _brokerConfig = new DynamicBrokerConfig(options);
        _topicWatcher = new TopicConfigWatcher(_bed.Session, new TopicLogConfigs(options), TimeProvider.System, NullLogger.Instance);
        _brokerWatcher = new BrokerConfigWatcher(_bed.Session, _brokerConfig, TimeProvider.System, NullLogger.Instance);
    }

    public async Task DisposeAsync()
    {
        await _brokerWatcher.DisposeAsync();
        await _topicWatcher.DisposeAsync();
        await _bed.DisposeAsync();
    }

    // xunit runs this after DisposeAsync: the logs' directory goes once all is closed.
    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task An_append_whose_answer_was_lost_is_applied_once()
    {
        _bed.Session.LoseMultiAnswers = 1;
        var request = new IncrementalAlterConfigsRequestData();
        request.Resources.Add(new IncrementalAlterConfigsRequestData.AlterConfigsResource
        {
            ResourceType = (sbyte)ConfigResourceType.Topic,
            ResourceName = ControllerBed.Topic,
            Configs = [new IncrementalAlterConfigsRequestData.AlterableConfig { Name = "cleanup.policy", ConfigOperation = 2, Value = "compact" }],
        });

        IncrementalAlterConfigsResponseData response = await new IncrementalAlterConfigsHandler(TopicEditor(), BrokerEditor()).CallAsync<IncrementalAlterConfigsResponseData>(request, 1);

        Assert.Equal((short)ErrorCode.None, Assert.Single(response.Responses).ErrorCode);
        Assert.Equal(0, _bed.Session.LoseMultiAnswers);
        TopicConfigStore.Overrides stored = await new TopicConfigStore(_bed.Store).ReadAsync(ControllerBed.Topic, CancellationToken.None);
        Assert.Equal("delete,compact", stored.Config["cleanup.policy"]);
    }

    [Fact]
    public async Task A_topic_config_change_on_a_store_that_keeps_failing_answers_REQUEST_TIMED_OUT()
    {
        _bed.Session.FailWrites = true;

        AlterConfigsResponseData.AlterConfigsResourceResponse result = Assert.Single((await AlterAsync(ConfigResourceType.Topic, ControllerBed.Topic, "retention.ms", "1000")).Responses);

        Assert.Equal((short)ErrorCode.RequestTimedOut, result.ErrorCode);
        Assert.Contains("ConnectionLoss", result.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty((await new TopicConfigStore(_bed.Store).ReadAsync(ControllerBed.Topic, CancellationToken.None)).Config);
    }

    [Fact]
    public async Task A_broker_config_change_whose_read_fails_answers_REQUEST_TIMED_OUT()
    {
        _bed.Session.FailReadsOf(BrokerConfigStore.PathOf("1"), 1);

        AlterConfigsResponseData.AlterConfigsResourceResponse result = Assert.Single((await AlterAsync(ConfigResourceType.Broker, "1", "log.cleaner.threads", "2")).Responses);

        Assert.Equal((short)ErrorCode.RequestTimedOut, result.ErrorCode);
    }

    [Fact]
    public async Task A_description_whose_read_fails_answers_REQUEST_TIMED_OUT()
    {
        var handler = new DescribeConfigsHandler(_brokerConfig, new TopicConfigStore(_bed.Session));

        // The ZooKeeper client resends reads itself: a read that still fails lost its connection for good.
        _bed.Session.FailReadsOf(ZkPaths.TopicConfig(ControllerBed.Topic), 1);
        DescribeConfigsResponseData.DescribeConfigsResult failed = Assert.Single((await DescribeAsync(handler)).Results);

        Assert.Equal((short)ErrorCode.RequestTimedOut, failed.ErrorCode);
        Assert.Contains("ConnectionLoss", failed.ErrorMessage, StringComparison.Ordinal);
        Assert.Empty(failed.Configs);
        Assert.Equal((short)ErrorCode.None, Assert.Single((await DescribeAsync(handler)).Results).ErrorCode);
    }

    private TopicConfigEditor TopicEditor() => new(new TopicConfigStore(_bed.Session), _topicWatcher);

    private BrokerConfigEditor BrokerEditor() => new(new BrokerConfigStore(_bed.Session), _brokerConfig, _brokerWatcher);

    private async Task<AlterConfigsResponseData> AlterAsync(ConfigResourceType type, string name, string key, string value)
    {
        var request = new AlterConfigsRequestData();
        request.Resources.Add(new AlterConfigsRequestData.AlterConfigsResource
        {
            ResourceType = (sbyte)type,
            ResourceName = name,
            Configs = [new AlterConfigsRequestData.AlterableConfig { Name = key, Value = value }],
        });
        return await new AlterConfigsHandler(TopicEditor(), BrokerEditor()).CallAsync<AlterConfigsResponseData>(request, 2);
    }

    private static async Task<DescribeConfigsResponseData> DescribeAsync(DescribeConfigsHandler handler)
    {
        var request = new DescribeConfigsRequestData();
        request.Resources.Add(new DescribeConfigsRequestData.DescribeConfigsResource
        {
            ResourceType = (sbyte)ConfigResourceType.Topic,
            ResourceName = ControllerBed.Topic,
            ConfigurationKeys = ["retention.ms"],
        });
        return await handler.CallAsync<DescribeConfigsResponseData>(request, 4);
    }
}
