using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Broker.Controller;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Coordination.Embedded;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Handlers;

/// <summary>
/// The parts of a standalone broker that handlers talk to (store, logs, metadata cache, local
/// partitions, controller), wired as KafkaBroker wires them but without the network, so a test
/// can call a handler directly. Owns its temp directory.
/// </summary>
internal sealed class LocalBrokerParts : IAsyncDisposable
{
    public const int BrokerId = 1;
    public const string Listener = "PLAINTEXT";
    public const string Host = "127.0.0.1";
    public const int Port = 9092;

    private readonly TempDirectory _dir;
    private readonly ICoordinationStore _store;
    private readonly LogDirectory _logs;

    private LocalBrokerParts(TempDirectory dir, ICoordinationStore store, LogDirectory logs, TopicLogConfigs configs, MetadataCache metadata, LocalPartitions partitions, KafkaController controller, TimeProvider time)
    {
        _dir = dir;
        Configs = configs;
        _store = store;
        _logs = logs;
        Metadata = metadata;
        Partitions = partitions;
        Controller = controller;
        Time = time;
    }

    public MetadataCache Metadata { get; }

    /// <summary>Topic log configs; set one before creating the topic for its log to use it.</summary>
    public TopicLogConfigs Configs { get; }

    public LocalPartitions Partitions { get; }

    public KafkaController Controller { get; }

    public TimeProvider Time { get; }

    public static async Task<LocalBrokerParts> StartAsync(string? rack = null, params (string Key, string Value)[] overrides)
    {
        var dir = new TempDirectory("handlers");
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["broker.id"] = BrokerId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["log.dirs"] = dir.Path,
        };
        foreach ((string key, string value) in overrides)
        {
            properties[key] = value;
        }

        BrokerOptions options = BrokerOptions.Load(properties, out _);
        TimeProvider time = TimeProvider.System;
        var store = EmbeddedCoordinationStore.Open(Path.Combine(dir.Path, KafkaBroker.MetadataDirectoryName), time);
        foreach (string path in ZkPaths.Persistent)
        {
            await store.CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, CancellationToken.None);
        }

        await store.CreateAsync(ZkPaths.ClusterId, ClusterIdZNode.Encode("test-cluster"), CreateMode.Persistent, CancellationToken.None);
        var configs = new TopicLogConfigs(options);
        LogDirectory logs = LogDirectory.Open(dir.Path, time, configs.For);
        var metadata = new MetadataCache(BrokerId, "test-cluster");
        var partitions = new LocalPartitions(BrokerId, logs, configs.For, NullLogger.Instance);
        var channel = new LocalControllerChannel(BrokerId, partitions, metadata);
        var controller = new KafkaController(BrokerId, store, channel, new ControllerOptions { DefaultNumPartitions = 1, DefaultReplicationFactor = 1, DeleteTopicEnable = true }, time, NullLogger.Instance);
        var registration = new BrokerRegistration(BrokerId, [(Listener, Host, Port)], rack, -1);
        await store.CreateAsync(ZkPaths.BrokerId(BrokerId), registration.Encode(0), CreateMode.Ephemeral, CancellationToken.None);
        await controller.StartAsync(CancellationToken.None);
        return new LocalBrokerParts(dir, store, logs, configs, metadata, partitions, controller, time);
    }

    public async Task CreateTopicAsync(string name, int partitions)
    {
        IReadOnlyList<TopicCreationResult> results = await Controller.CreateTopicsAsync([new TopicCreation(name, partitions, 1, null, new Dictionary<string, string>())], false, CancellationToken.None);
        Assert.Equal(ErrorCode.None, results[0].Error);
    }

    /// <summary>Appends one batch of <paramref name="timestamps"/>.Length records as the leader; returns the first offset.</summary>
    public long Append(string topic, int partition, params long[] timestamps)
    {
        Partition? p = Partitions.Get(topic, partition);
        Assert.NotNull(p);
        using var buffer = new PooledBufferWriter();
        using (var builder = new RecordBatchBuilder(buffer, CompressionType.None, 0))
        {
            foreach (long timestamp in timestamps)
            {
                builder.Append(timestamp, null, [1, 2, 3]);
            }

            builder.Complete();
        }

        byte[] batch = buffer.ToArray();
        (ErrorCode error, Storage.Log.LogAppendInfo info) = p.AppendAsLeader(batch, 1, 1);
        Assert.Equal(ErrorCode.None, error);
        return info.FirstOffset;
    }

    public static RequestContext Context(ApiKey key, short version, string listener = Listener) =>
        new(new RequestHeader { ApiKey = key, ApiVersion = version, ClientId = "test" }, new IPEndPoint(IPAddress.Loopback, 1), listener);

    public async ValueTask DisposeAsync()
    {
        await Controller.DisposeAsync();
        _logs.Dispose();
        await _store.DisposeAsync();
        _dir.Dispose();
    }
}
