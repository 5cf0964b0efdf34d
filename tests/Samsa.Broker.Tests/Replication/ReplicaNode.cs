using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Fetching;
using Samsa.Broker.Handlers;
using Samsa.Broker.Metadata;
using Samsa.Broker.Network;
using Samsa.Broker.Partitions;
using Samsa.Broker.Replication;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// The replication half of a broker, wired by hand: its own log dir, metadata cache, partitions,
/// fetchers and a real listener on 127.0.0.1:0 serving Fetch and OffsetForLeaderEpoch. The test
/// plays the controller: it sends LeaderAndIsr and UpdateMetadata and answers AlterPartition.
/// </summary>
internal sealed class ReplicaNode : IAsyncDisposable
{
    public const string Listener = "PLAINTEXT";

    private readonly TempDirectory _dir;
    private readonly LogDirectory _logs;
    private readonly SocketServer _network;
    private readonly BrokerReplication _replication;

    private ReplicaNode(int brokerId, TempDirectory dir, LogDirectory logs, MetadataCache metadata, LocalPartitions partitions, BrokerReplication replication, SocketServer network)
    {
        BrokerId = brokerId;
        _dir = dir;
        _logs = logs;
        Metadata = metadata;
        Partitions = partitions;
        _replication = replication;
        _network = network;
    }

    public int BrokerId { get; }

    public MetadataCache Metadata { get; }

    public LocalPartitions Partitions { get; }

    public ReplicaFetcherManager Fetchers => _replication.Fetchers;

    public int Port => _network.BoundEndpoints[0].Port;

    public static ReplicaNode Start(int brokerId, IAlterPartitionChannel controller, long replicaLagTimeMaxMs = 30_000)
    {
        var dir = new TempDirectory($"replica-{brokerId}");
        TimeProvider time = TimeProvider.System;
        LogDirectory logs = LogDirectory.Open(dir.Path, time, _ => LogConfig.Default);
        var metadata = new MetadataCache(brokerId, "replication-test");
        var fetching = new ReplicaFetcherOptions { BrokerId = brokerId, ListenerName = Listener, FetchWaitMaxMs = 200, FetchBackoffMs = 100, SocketTimeoutMs = 10_000 };
        var replication = new BrokerReplication(fetching, replicaLagTimeMaxMs, metadata, time, NullLogger.Instance);
        var partitions = new LocalPartitions(brokerId, logs, _ => LogConfig.Default, NullLogger.Instance, replication);
        var router = new RequestRouter(
        [
            new FetchHandler(partitions, metadata, time, new FetchSessionCache(16)),
            new OffsetForLeaderEpochHandler(partitions, metadata),
        ]);
        var network = new SocketServer(router, new NetworkOptions(), time, NullLogger.Instance);
        network.Start([(Listener, new IPEndPoint(IPAddress.Loopback, 0))]);
        replication.Start(partitions, controller);
        return new ReplicaNode(brokerId, dir, logs, metadata, partitions, replication, network);
    }

    public Partition Partition(TopicPartition id) => Partitions.Get(id) ?? throw new InvalidOperationException($"{id} is not hosted on broker {BrokerId}");

    /// <summary>Tells this broker about every live broker of <paramref name="nodes"/>, as UpdateMetadata does.</summary>
    public void UpdateLiveBrokers(int controllerEpoch, params ReplicaNode[] nodes)
    {
        var request = new UpdateMetadataRequestData { ControllerId = 1, ControllerEpoch = controllerEpoch };
        foreach (ReplicaNode node in nodes)
        {
            request.LiveBrokers.Add(new UpdateMetadataRequestData.UpdateMetadataBroker
            {
                Id = node.BrokerId,
                Endpoints = [new UpdateMetadataRequestData.UpdateMetadataEndpoint { Host = "127.0.0.1", Port = node.Port, Listener = Listener }],
            });
        }

        Assert.True(Metadata.Apply(request));
    }

    public void LeaderAndIsr(int controllerEpoch, TopicPartition id, Uuid topicId, int leader, int leaderEpoch, int partitionEpoch, int[] replicas, int[] isr)
    {
        var request = new LeaderAndIsrRequestData { ControllerId = 1, ControllerEpoch = controllerEpoch };
        request.TopicStates.Add(new LeaderAndIsrRequestData.LeaderAndIsrTopicState
        {
            TopicName = id.Topic,
            TopicId = topicId,
            PartitionStates =
            [
                new LeaderAndIsrRequestData.LeaderAndIsrPartitionState
                {
                    PartitionIndex = id.Partition,
                    ControllerEpoch = controllerEpoch,
                    Leader = leader,
                    LeaderEpoch = leaderEpoch,
                    PartitionEpoch = partitionEpoch,
                    Replicas = [.. replicas],
                    Isr = [.. isr],
                },
            ],
        });
        LeaderAndIsrResponseData response = Partitions.ApplyLeaderAndIsr(request);
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal((short)ErrorCode.None, response.Topics[0].PartitionErrors[0].ErrorCode);
    }

    /// <summary>Every stored byte of the partition's log, in offset order.</summary>
    public byte[] LogBytes(TopicPartition id) => LogContent.Bytes(Partition(id).Log);

    public async ValueTask DisposeAsync()
    {
        await _network.StopAsync(TimeSpan.FromSeconds(5));
        await _replication.DisposeAsync();
        await _network.DisposeAsync();
        _logs.Dispose();
        _dir.Dispose();
    }
}
